using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;

namespace Cybex.Report.Testing;

/// <summary>
/// What our module must produce for one fixture query: the original's report where compatibility.md says
/// "must match", the deviation's result where it says we do better.
/// </summary>
public abstract record Expectation
{
    /// <summary>Status, data, pages and report hash equal to the original's.</summary>
    public sealed record SameReport(BsonDocument Report) : Expectation;

    /// <summary>A failed report whose text contains the given message.</summary>
    public sealed record FailedWith(string Message) : Expectation;

    /// <summary>A ready report whose data equals the given value (numbers within a relative tolerance).</summary>
    public sealed record ReadyWith(BsonValue Data, int CurrentPage, int NextPage, double Tolerance = 0) : Expectation;

    /// <summary>Only the status is known (a deviation for which the original has no output to compare).</summary>
    public sealed record StatusOnly(string Status) : Expectation;

    /// <summary>
    /// The query with the answer we must give: under D14 (session members org-filtered), where that changes the
    /// original's answer, the fixture carries it as <c>expected_d14</c>.
    /// </summary>
    public static BsonDocument WithD14(BsonDocument query) =>
        query.TryGetValue("expected_d14", out var d14)
            ? new BsonDocument(query).Set("status", d14["status"]).Set("report", d14["report"]).Set("error", d14.AsBsonDocument.GetValue("error", new BsonDocument()))
            : query;

    public static Expectation For(BsonDocument query, FixtureFile file)
    {
        query = WithD14(query);
        var report = query["report"].AsBsonDocument;
        if (query["status"] == Tdql.StatusReady) return new SameReport(report);
        var error = query.GetValue("error", new BsonDocument()).AsBsonDocument;
        var kind = error.GetValue("kind", "").AsString;
        if (kind is "ValidationError" or "InvalidParameterValue" or "InvalidUserError") return new FailedWith(error["message"].AsString);
        var exception = error.GetValue("internal_exception", "").AsString;
        var qdata = query["qdata"];
        var page = qdata.IsBsonDocument && qdata.AsBsonDocument.TryGetValue("page", out var p) && p.IsNumeric ? (int)p.ToDouble() : 1;
        return exception switch
        {
            // D6: summary_graph with no events is an empty result, not a crash.
            _ when exception.StartsWith("NodeNotFound", StringComparison.Ordinal) => new ReadyWith(new BsonDocument(), page, 1),
            // D4: unparsable dates get the intended message; dates with an offset are instants.
            _ when exception.StartsWith("ParserError", StringComparison.Ordinal) => new FailedWith($"Invalid 'from'={qdata["from"].AsString}!"),
            _ when exception.Contains("Not naive datetime", StringComparison.Ordinal) => new StatusOnly(Tdql.StatusReady),
            // D5: integral floats are integers; related needs a sub_type.
            _ when exception.StartsWith("TypeError: sub_type", StringComparison.Ordinal) => new FailedWith("'sub_type' is a required property"),
            _ when exception.StartsWith("TypeError", StringComparison.Ordinal) => new StatusOnly(Tdql.StatusReady),
            _ when exception.Contains("MAC check failed", StringComparison.Ordinal) => new FailedWith("MAC check failed"),
            _ when query["qtype"] == "threatrank" => Threatrank(query, file),
            _ => new StatusOnly(Tdql.StatusFailed),
        };
    }

    // D1–D3: threatrank answers with the sum over real paths, for events the user may see.
    private static Expectation Threatrank(BsonDocument query, FixtureFile file)
    {
        var qdata = query["qdata"].AsBsonDocument;
        if (!qdata.TryGetValue("_hash", out var h)) return new FailedWith("'_hash' is a required property");
        var hash = h.AsString.ToLowerInvariant();
        var target = file.ArchiveDocs.FirstOrDefault(d => d["itype"] == "event" && d["_hash"] == hash);
        var userOrgs = file.Root["users"][query["user"].AsString]["member_of"].AsBsonArray
            .Select(label => file.Root["orgs"][label.AsString]["_hash"].AsString).ToHashSet();
        if (target is null || !userOrgs.Contains(target["orgid"].AsString)) return new FailedWith("Event not found");
        var direct = file.ThreatrankDirect.FirstOrDefault(t => t["_hash"] == hash);
        return direct is null ? new StatusOnly(Tdql.StatusReady) : new ReadyWith(DirectValue(direct), 1, 1, 1e-9);
    }

    /// <summary>D2's value for a <c>threatrank_direct</c> entry.</summary>
    public static BsonValue DirectValue(BsonDocument direct)
    {
        if (direct["category"] == "malicious") return -1;
        return direct["n_nonempty_paths"].ToInt64() == 0 ? 0 : direct["value_real_paths"];
    }
}
