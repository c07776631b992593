using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Worker.Options;

/// <summary>Report queries sent on the bus (<c>SubmitReportQuery</c>) rather than stored by the API.</summary>
public sealed class QueryOptions
{
    public const string Section = "Queries";

    /// <summary>
    /// Accept unencrypted qdata from bus publishers. Only for trusted internal publishers on a locked-down vhost:
    /// the API always encrypts, so a plain query is refused unless this is on.
    /// </summary>
    public bool AllowPlain { get; set; }

    /// <summary>Larger qdata is refused (the API's own queries are a few hundred bytes).</summary>
    [Range(64, 16 * 1024 * 1024)]
    public int MaxQdataBytes { get; set; } = 1024 * 1024;

    /// <summary>Report data above this (as JSON) is left out of the response: the report id says where to read it.</summary>
    [Range(0, 64 * 1024 * 1024)]
    public int MaxResponseDataBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// File holding the API's JWT secret (identity_db's <c>secret</c>), with which user tokens on bus queries are
    /// verified as the API verifies them. Unset: only <see cref="TrustedPublishers"/> may ask, naming the user.
    /// </summary>
    public string? TokenSecretFile { get; set; }

    /// <summary>
    /// Broker users trusted to name the requesting user by id instead of sending the user's token (an internal
    /// service). Checked against the <c>user_id</c> property, which RabbitMQ validates against the connection's user.
    /// </summary>
    public string[] TrustedPublishers { get; set; } = [];

    /// <summary>How long a query already being answered (by the watcher's path) is waited for before the response.</summary>
    [Range(1, 3600)]
    public int WaitForOtherClaimSeconds { get; set; } = 30;
}
