namespace Cybex.Report.Worker.Options;

/// <summary>The key that decrypts qdata. The keys live in the Reports section, where they always were.</summary>
public sealed class KeyOptions
{
    public const string Section = "Reports";

    /// <summary>PEM file of the private key that decrypts qdata (the counterpart of the API's pub.pem).</summary>
    public string? PrivateKeyFile { get; set; }

    /// <summary>
    /// Lets the worker start without <see cref="PrivateKeyFile"/>; encrypted queries (all of the API's) then fail.
    /// Off by default: a missing key is far more often a mistake than a choice.
    /// </summary>
    public bool AllowUnencryptedQueriesOnly { get; set; }
}
