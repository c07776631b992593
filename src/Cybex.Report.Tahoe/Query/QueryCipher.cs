using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Encodings;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;

namespace Cybex.Report.Tahoe.Query;

/// <summary>
/// The API's hybrid scheme: <c>RSA-OAEP(SHA-1) session key | EAX nonce (16) | tag (16) | ciphertext</c> with
/// AES-256-EAX. Decryption is the worker's side; encryption is what the API (and our CLI) does.
/// </summary>
public sealed class QueryCipher
{
    private const int NonceSize = 16;
    private const int TagSize = 16;
    private const int SessionKeySize = 32;
    private readonly RsaKeyParameters? _privateKey;
    private readonly RsaKeyParameters? _publicKey;

    private QueryCipher(RsaKeyParameters? privateKey, RsaKeyParameters? publicKey)
    {
        _privateKey = privateKey;
        _publicKey = publicKey;
    }

    /// <summary>Reads a PEM private key (PKCS#1 or PKCS#8) or public key (SubjectPublicKeyInfo or PKCS#1).</summary>
    public static QueryCipher FromPem(string pem)
    {
        object? obj;
        try
        {
            using var reader = new StringReader(pem);
            obj = new PemReader(reader).ReadObject();
        }
        catch (Exception e) when (e is IOException or PemException or InvalidCastException or ArgumentException)
        {
            throw new QueryDecodeException($"key is not a valid PEM RSA key ({e.GetType().Name})");
        }
        return obj switch
        {
            AsymmetricCipherKeyPair { Private: RsaPrivateCrtKeyParameters priv } => new QueryCipher(priv, PublicOf(priv)),
            RsaPrivateCrtKeyParameters priv => new QueryCipher(priv, PublicOf(priv)),
            RsaKeyParameters { IsPrivate: false } pub => new QueryCipher(null, pub),
            _ => throw new QueryDecodeException("key is not a valid PEM RSA key"),
        };
    }

    private static RsaKeyParameters PublicOf(RsaPrivateCrtKeyParameters priv) => new(false, priv.Modulus, priv.PublicExponent);

    public bool CanDecrypt => _privateKey is not null;

    private static int ModulusBytes(RsaKeyParameters key) => (key.Modulus.BitLength + 7) / 8;

    public byte[] Decrypt(ReadOnlySpan<byte> blob)
    {
        var key = _privateKey ?? throw new InvalidOperationException("a public key cannot decrypt");
        var keyBlock = ModulusBytes(key);
        if (blob.Length < keyBlock + NonceSize + TagSize)
        {
            throw new QueryDecodeException($"encrypted qdata is {blob.Length} bytes, shorter than the {keyBlock + NonceSize + TagSize}-byte header");
        }
        byte[] sessionKey;
        try
        {
            var oaep = new OaepEncoding(new RsaEngine());
            oaep.Init(false, key);
            sessionKey = oaep.ProcessBlock(blob[..keyBlock].ToArray(), 0, keyBlock);
        }
        catch (InvalidCipherTextException)
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

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, SecureRandom? random = null)
    {
        var key = _publicKey ?? throw new InvalidOperationException("no public key");
        random ??= new SecureRandom();
        var sessionKey = new byte[SessionKeySize];
        random.NextBytes(sessionKey);
        var nonce = new byte[NonceSize];
        random.NextBytes(nonce);
        var oaep = new OaepEncoding(new RsaEngine());
        oaep.Init(true, new ParametersWithRandom(key, random));
        var encKey = oaep.ProcessBlock(sessionKey, 0, sessionKey.Length);
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
