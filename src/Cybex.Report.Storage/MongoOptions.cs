using System.ComponentModel.DataAnnotations;

namespace Cybex.Report.Storage;

/// <summary>Where the three CYBEX-P databases live. Defaults are the original's.</summary>
public sealed class MongoOptions
{
    public const string Section = "Mongo";

    /// <summary>The one default of the URL: the test server and a local mongod both answer it.</summary>
    public const string DefaultUrl = "mongodb://localhost:27017/?serverMonitoringMode=poll";

    [Required]
    public string Url { get; set; } = DefaultUrl;

    [Required]
    public string TahoeDatabase { get; set; } = "tahoe_db";

    [Required]
    public string IdentityDatabase { get; set; } = "identity_db";

    [Required]
    public string ReportDatabase { get; set; } = "report_db";

    [Required]
    public string Collection { get; set; } = "instance";

    /// <summary>Create the indexes the report queries use when the process starts.</summary>
    public bool CreateIndexes { get; set; } = true;
}
