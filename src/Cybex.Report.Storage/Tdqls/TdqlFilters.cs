using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Storage.Tdqls;

/// <summary>Which documents of report_db are TDQLs, and which of those may be answered: the one home of that rule.</summary>
public static class TdqlFilters
{
    private static readonly FilterDefinitionBuilder<BsonDocument> F = Builders<BsonDocument>.Filter;

    /// <summary>Set on a TDQL document that is not in the API's shape (or a later copy of a hash), so nobody picks it up again.</summary>
    public const string MalformedField = "_cybex_malformed";

    /// <summary>Every TDQL document, answerable or not.</summary>
    public static readonly FilterDefinition<BsonDocument> Any = F.Eq("itype", "object") & F.Eq("sub_type", "query");

    /// <summary>TDQLs not marked malformed.</summary>
    public static readonly FilterDefinition<BsonDocument> Answerable = Any & F.Exists(MalformedField, false);

    /// <summary>Answerable TDQLs the API left waiting for a worker.</summary>
    public static readonly FilterDefinition<BsonDocument> Waiting = Answerable & F.Eq("data.status", Tdql.StatusWait);

    /// <summary>The TDQL of a hash; a document marked malformed (a broken or duplicate copy) is never it.</summary>
    public static FilterDefinition<BsonDocument> Of(string hash) => Answerable & F.Eq("_hash", hash);

    public static FilterDefinition<BsonDocument> Among(IEnumerable<string> hashes) => Answerable & F.In("_hash", hashes);

    public static readonly FilterDefinition<BsonDocument> Reports = F.Eq("itype", "report");
}
