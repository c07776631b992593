using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;

namespace Cybex.Report.Cli;

/// <summary>RSA-2048 pairs in the formats the two sides read: PKCS#1 private (worker), SubjectPublicKeyInfo public (API).</summary>
public static class KeyPairs
{
    public static (string PrivatePem, string PublicPem) Generate()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), 2048));
        var pair = generator.GenerateKeyPair();
        return (Pem(pair.Private), Pem(pair.Public));
    }

    private static string Pem(AsymmetricKeyParameter key)
    {
        using var writer = new StringWriter();
        new PemWriter(writer).WriteObject(key);
        return writer.ToString();
    }
}
