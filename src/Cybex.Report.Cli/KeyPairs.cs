using System.Security.Cryptography;

namespace Cybex.Report.Cli;

/// <summary>RSA-2048 pairs in the formats the two sides read: PKCS#1 private (worker), SubjectPublicKeyInfo public (API).</summary>
public static class KeyPairs
{
    public static (string PrivatePem, string PublicPem) Generate()
    {
        using var rsa = RSA.Create(2048);
        return (rsa.ExportRSAPrivateKeyPem(), rsa.ExportSubjectPublicKeyInfoPem());
    }
}
