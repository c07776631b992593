using System.Security.Cryptography;

namespace Cybex.Report.Testing;

/// <summary>RSA-2048 pairs in the formats the two sides read: PKCS#1 private (worker), SubjectPublicKeyInfo public (API).</summary>
public static class KeyPairs
{
    public static (string PrivatePem, string PublicPem) Generate()
    {
        using var rsa = RSA.Create(2048);
        return (rsa.ExportRSAPrivateKeyPem(), rsa.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>
    /// Writes a private key readable by its owner only from the first byte: the file is created with mode 0600,
    /// not written and restricted afterwards. An existing file is replaced (a new file, so its old mode goes too).
    /// </summary>
    public static void WritePrivate(string path, string pem)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }
}
