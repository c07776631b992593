using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Cybex.Report.Domain.Queries;

/// <summary>
/// The API's hybrid scheme: <c>RSA-OAEP(SHA-1) session key | EAX nonce (16) | tag (16) | ciphertext</c> with
/// AES-256-EAX. Decryption is the worker's side; encryption is what the API (and our CLI) does.
/// The OAEP step uses .NET's RSA (OpenSSL), measured about six times faster than BouncyCastle's; .NET has no
/// EAX, so that part stays BouncyCastle.
/// </summary>
public sealed class QueryCipher
{
    private const int NonceSize = 16;
    private const int TagSize = 16;
    private const int SessionKeySize = 32;
    private readonly ThreadLocal<RSA> _rsa;

    private QueryCipher(string pem, bool isPrivate, int modulusBytes)
    {
        CanDecrypt = isPrivate;
        ModulusBytes = modulusBytes;
        // One key object per thread: concurrent use of one RSA instance is not documented as safe.
        _rsa = new ThreadLocal<RSA>(() =>
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa;
        });
    }

    /// <summary>Reads a PEM private key (PKCS#1 or PKCS#8) or public key (SubjectPublicKeyInfo or PKCS#1).</summary>
    public static QueryCipher FromPem(string pem)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            var isPrivate = pem.Contains("PRIVATE KEY", StringComparison.Ordinal);
            return new QueryCipher(pem, isPrivate, rsa.KeySize / 8);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new QueryDecodeException("key is not a valid PEM RSA key");
        }
    }

    public bool CanDecrypt { get; }

    private int ModulusBytes { get; }

    public byte[] Decrypt(ReadOnlySpan<byte> blob)
    {
        if (!CanDecrypt) throw new InvalidOperationException("a public key cannot decrypt");
        var keyBlock = ModulusBytes;
        if (blob.Length < keyBlock + NonceSize + TagSize)
        {
            throw new QueryDecodeException($"encrypted qdata is {blob.Length} bytes, shorter than the {keyBlock + NonceSize + TagSize}-byte header");
        }
        byte[] sessionKey;
        try
        {
            sessionKey = _rsa.Value!.Decrypt(blob[..keyBlock].ToArray(), RSAEncryptionPadding.OaepSHA1);
        }
        catch (CryptographicException)
        {
            throw new QueryDecodeException("encrypted qdata: the session key does not decrypt with this key");
        }
        if (sessionKey.Length != SessionKeySize) throw new QueryDecodeException("encrypted qdata: the session key has the wrong length");

        var nonce = blob.Slice(keyBlock, NonceSize).ToArray();
        var tag = blob.Slice(keyBlock + NonceSize, TagSize);
        var cipherText = blob[(keyBlock + NonceSize + TagSize)..];
        var eax = new EaxBlockCipher(AesUtilities.CreateEngine());
        eax.Init(false, new AeadParameters(new KeyParameter(sessionKey), TagSize * 8, nonce));
        // BouncyCastle expects the tag after the ciphertext.
        var input = new byte[cipherText.Length + TagSize];
        cipherText.CopyTo(input);
        tag.CopyTo(input.AsSpan(cipherText.Length));
        var output = new byte[eax.GetOutputSize(input.Length)];
        try
        {
            var n = eax.ProcessBytes(input, 0, input.Length, output, 0);
            n += eax.DoFinal(output, n);
            return n == output.Length ? output : output[..n];
        }
        catch (InvalidCipherTextException)
        {
            throw new QueryDecodeException("encrypted qdata: MAC check failed");
        }
    }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext)
    {
        var sessionKey = RandomNumberGenerator.GetBytes(SessionKeySize);
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var encKey = _rsa.Value!.Encrypt(sessionKey, RSAEncryptionPadding.OaepSHA1);
        var eax = new EaxBlockCipher(AesUtilities.CreateEngine());
        eax.Init(true, new AeadParameters(new KeyParameter(sessionKey), TagSize * 8, nonce));
        var sealedData = new byte[eax.GetOutputSize(plaintext.Length)];
        var n = eax.ProcessBytes(plaintext.ToArray(), 0, plaintext.Length, sealedData, 0);
        eax.DoFinal(sealedData, n);
        var cipherLength = plaintext.Length;
        var blob = new byte[encKey.Length + NonceSize + TagSize + cipherLength];
        encKey.CopyTo(blob, 0);
        nonce.CopyTo(blob, encKey.Length);
        Array.Copy(sealedData, cipherLength, blob, encKey.Length + NonceSize, TagSize);
        Array.Copy(sealedData, 0, blob, encKey.Length + NonceSize + TagSize, cipherLength);
        return blob;
    }
}
