using Cybex.Report.Domain.Queries;
using Cybex.Report.Worker.Options;

namespace Cybex.Report.Worker.Hosting;

/// <summary>The loaded private key; null only when the operator allowed running without one.</summary>
public sealed record QueryKey(QueryCipher? Cipher);

/// <summary>
/// The key that decrypts qdata, loaded and checked once at start: a key that cannot work must stop the worker
/// with a message naming the file, not fail every later query (each of which would then loop).
/// </summary>
public static class PrivateKey
{
    /// <summary>The cipher, or null when the operator runs without a key on purpose; the error says what is wrong.</summary>
    public static bool TryLoad(KeyOptions options, out QueryCipher? cipher, out string? error)
    {
        cipher = null;
        error = null;
        var file = options.PrivateKeyFile;
        if (string.IsNullOrEmpty(file))
        {
            if (!options.AllowUnencryptedQueriesOnly)
            {
                error = "Reports:PrivateKeyFile is not set. Every query from the API is encrypted: give the private key file, "
                    + "or set Reports:AllowUnencryptedQueriesOnly=true to answer unencrypted queries only";
            }
            return error is null;
        }
        string pem;
        try
        {
            pem = File.ReadAllText(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error = $"Reports:PrivateKeyFile '{file}' does not exist";
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            error = $"Reports:PrivateKeyFile '{file}' cannot be read by this process (user {Environment.UserName}): "
                + "make it readable by the worker's user or group (the container runs as uid 1654: mode 0440, group 1654)";
            return false;
        }
        catch (IOException e)
        {
            error = $"Reports:PrivateKeyFile '{file}' cannot be read: {e.Message}";
            return false;
        }
        try
        {
            cipher = QueryCipher.FromPem(pem);
        }
        catch (QueryDecodeException)
        {
            error = $"Reports:PrivateKeyFile '{file}' is not a PEM RSA key";
            return false;
        }
        if (!cipher.CanDecrypt)
        {
            cipher = null;
            error = $"Reports:PrivateKeyFile '{file}' holds only a public key; the worker needs the private key (priv.pem), the API the public one";
            return false;
        }
        return true;
    }
}
