using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Worker.Options;

/// <summary>How the worker reaches the CYBEX-P API's reply socket.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Replaces 0.0.0.0, 127.0.0.1 and localhost in the TDQL socket (the original's api.host).</summary>
    [Required]
    public string Host { get; set; } = "localhost";

    /// <summary>Hosts the worker may connect to; the configured API host is always allowed.</summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>
    /// The ports a reply may go to. The API listens on the port its <c>bind(('', 0))</c> gets, an ephemeral one
    /// (Linux: 32768–60999); a forged TDQL must not aim the worker at the API host's ssh or database.
    /// </summary>
    [Range(1, 65535)]
    public int ReplyPortMin { get; set; } = 32768;

    [Range(1, 65535)]
    public int ReplyPortMax { get; set; } = 60999;

    [Range(50, 60000)]
    public int ConnectTimeoutMilliseconds { get; set; } = 3000;

    [Range(50, 60000)]
    public int SendTimeoutMilliseconds { get; set; } = 3000;

    /// <summary>
    /// Connections tried per reply. The API listens for 5 s only, so a refused or reset connection means it has
    /// gone: one quick second try covers a listener that was just being set up, more would only hold a slot.
    /// </summary>
    [Range(1, 10)]
    public int ReplyAttempts { get; set; } = 2;

    /// <summary>Pause before the next try of a reply.</summary>
    [Range(0, 5000)]
    public int ReplyRetryMilliseconds { get; set; } = 200;
}
