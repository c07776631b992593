using Cybex.Report.Domain.Answering;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Archive;
using Cybex.Report.Storage.Identity;
using Cybex.Report.Storage.Tdqls;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;
using MongoDB.Driver;
using NodaTime;

namespace Cybex.Report.Testing;

public sealed record ConformanceResult(int Passed, int Failed, IReadOnlyDictionary<string, List<long>> CommandsByType, IReadOnlyDictionary<string, List<double>> MillisecondsByType);

/// <summary>
/// Loads a fixture into scratch databases, answers every query through the consumers' own
/// <see cref="QueryAnswerer"/> with the clock frozen at the fixture's <c>frozen_now</c>, and compares the
/// stored reports with the original's per compatibility.md.
/// </summary>
public sealed class ConformanceRunner(string mongoUrl, TextWriter output)
{
    /// <summary>Told (checked, of all) after every check: the CLI's progress bar.</summary>
    public Action<int, int>? Progress { get; init; }

    public async Task<ConformanceResult> RunAsync(FixtureFile file, CancellationToken ct)
    {
        await using var scratch = new ScratchDatabases("cybex_conf_", mongoUrl);
        await LoadAsync(scratch.Mongo, file, ct);
        return await CompareAsync(scratch.Mongo, file, ct);
    }

    public static async Task LoadAsync(MongoContext mongo, FixtureFile file, CancellationToken ct)
    {
        // Natural order is insertion order: keep the fixture's order.
        if (file.ArchiveDocs.Count > 0) await mongo.Archive.InsertManyAsync(file.ArchiveDocs.Select(d => d.DeepClone().AsBsonDocument), new InsertManyOptions { IsOrdered = true }, ct);
        if (file.IdentityDocs.Count > 0) await mongo.Identity.InsertManyAsync(file.IdentityDocs.Select(d => d.DeepClone().AsBsonDocument), new InsertManyOptions { IsOrdered = true }, ct);
    }

    private async Task<ConformanceResult> CompareAsync(MongoContext mongo, FixtureFile file, CancellationToken ct)
    {
        var clock = new FrozenClock(TahoeTime.FromEpochSeconds(file.FrozenNow));
        var store = new TdqlStore(mongo);
        var archive = new ArchiveStore(mongo);
        var reportOptions = new ReportOptions();
        var threatrank = new ThreatrankReport(archive, clock, reportOptions);
        var pem = file.PrivateKeyPem();
        var answerer = new QueryAnswerer(store, new IdentityStore(mongo), archive, clock, pem is null ? null : QueryCipher.FromPem(pem), reportOptions);
        int passed = 0, failed = 0;
        var commands = new Dictionary<string, List<long>>();
        var durations = new Dictionary<string, List<double>>();

        void Measure(string type, long n, double ms)
        {
            if (!commands.TryGetValue(type, out var c)) commands[type] = c = [];
            if (!durations.TryGetValue(type, out var d)) durations[type] = d = [];
            c.Add(n);
            d.Add(ms);
        }

        var checks = file.Queries.Count + file.Sequences.Sum(q => q["queries"].AsBsonArray.Count) + file.ThreatrankDirect.Count + file.ProcessQuery.Count;

        void Record(string id, string? mismatch)
        {
            Progress?.Invoke(Math.Min(checks, passed + failed + 1), checks);
            if (mismatch is null)
            {
                passed++;
                return;
            }
            failed++;
            output.WriteLine($"MISMATCH {id}: {mismatch}");
        }

        async Task<(BsonDocument? Report, string? Status, long Commands, double Ms)> Run(BsonDocument q)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var (tdql, children) = TdqlDocuments.Build(q["qtype"].AsString, q["qhash"].AsString, q["tdql_qdata"].AsString, q["userid"].AsString,
                file.FrozenNow, q["encrypted"].AsBoolean, Tdql.StatusProcessing, new TdqlSocket("127.0.0.1", 1, "0"));
            await store.InsertTdqlAsync(tdql, children, ct);
            using var scope = CommandCounter.Begin();
            var result = await answerer.AnswerAsync(tdql["_hash"].AsString, ct);
            if (result.Report is null) return (null, null, 0, sw.Elapsed.TotalMilliseconds);
            var ms = sw.Elapsed.TotalMilliseconds;
            var commands = scope.Commands;
            var stored = (await store.FindAsync(tdql["_hash"].AsString, ct))?.Tdql;
            var status = stored?.Status;
            if (stored is not null && stored.ReportId != result.Report["_hash"].AsString) status = "report_id-mismatch";
            return (await store.FindReportAsync(result.Report["_hash"].AsString, ct), status, commands, ms);
        }

        foreach (var q in file.Queries)
        {
            var (report, status, n, ms) = await Run(q);
            Measure(q["qtype"].AsString, n, ms);
            Record(q["id"].AsString, report is null ? "no report stored" : Check(Expectation.For(q, file), report, status));
        }

        foreach (var sequence in file.Sequences)
        {
            foreach (var q in sequence["queries"].AsBsonArray.Select(v => v.AsBsonDocument))
            {
                var (report, status, _, _) = await Run(q);
                Record(q["id"].AsString, report is null ? "no report stored" : CheckSequence(q, report, status));
            }
        }

        foreach (var t in file.ThreatrankDirect)
        {
            var hash = t["_hash"].AsString;
            var target = file.ArchiveDocs.First(d => d["_hash"] == hash);
            var user = new UserAccess("conformance", [target["orgid"].AsString]);
            using var scope = CommandCounter.Begin();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var outcome = await threatrank.RunAsync(new ReportQuery { Hash = hash }, user, ct);
            Measure("threatrank_direct", scope.Commands, sw.Elapsed.TotalMilliseconds);
            Record($"threatrank_direct {t["label"]}", Check(new Expectation.ReadyWith(Expectation.DirectValue(t), 1, 1, 1e-9), outcome.ToDocument("threatrank", "", clock.GetCurrentInstant()), outcome.Status));
        }

        foreach (var pq in file.ProcessQuery)
        {
            var wait = pq["tdql_doc_wait"].AsBsonDocument.DeepClone().AsBsonDocument;
            await store.InsertTdqlAsync(wait, [], ct);
            // As the watcher would: claimed first (wait → processing), then answered.
            await store.TryClaimAsync(wait, ct);
            var result = await answerer.AnswerAsync(wait["_hash"].AsString, ct);
            var after = await store.FindDocumentAsync(wait["_hash"].AsString, ct);
            var expectedAfter = pq["tdql_doc_after"].AsBsonDocument;
            string? mismatch = result.Report is null || after is null ? $"TDQL not answered ({result.Result})"
                : ReportDataDiff(pq["report_doc"]["data"], result.Report["data"])
                  ?? BsonCompare.Diff(expectedAfter["data"]["status"], after["data"]["status"], "tdql.status")
                  ?? (expectedAfter["data"]["status"][0] != Tdql.StatusReady ? null
                      : BsonCompare.Diff(expectedAfter["data"]["report_id"], after["data"]["report_id"], "tdql.report_id")
                        ?? SameSet(expectedAfter["_cref"], after["_cref"], "tdql._cref")
                        ?? SameSet(expectedAfter["_ref"], after["_ref"], "tdql._ref"));
            Record(pq["id"].AsString, mismatch);
        }

        return new ConformanceResult(passed, failed, commands, durations);
    }

    // A failed report's text ends in jsonschema's pretty-printed dump, which we do not reproduce.
    private static string? ReportDataDiff(BsonValue expected, BsonValue actual) =>
        expected.IsString && expected.AsString.Contains("\n\n", StringComparison.Ordinal)
            ? actual.IsString && actual.AsString == expected.AsString[..expected.AsString.IndexOf("\n\n", StringComparison.Ordinal)] ? null : $"report text {Brief(actual)}"
            : BsonCompare.Diff(expected, actual, "report.data");

    private static string? SameSet(BsonValue expected, BsonValue actual, string path) =>
        expected.AsBsonArray.Select(v => v.AsString).ToHashSet().SetEquals(actual.AsBsonArray.Select(v => v.AsString)) ? null : $"{path}: different hashes";

    public static string? Check(Expectation expectation, BsonDocument report, string? status)
    {
        switch (expectation)
        {
            case Expectation.SameReport(var expected):
                if (status != Tdql.StatusReady) return $"status {status}, expected ready ({Brief(report["data"])})";
                return BsonCompare.Diff(expected["data"], report["data"], "data")
                       ?? BsonCompare.Diff(expected["current_page"], report["current_page"], "current_page")
                       ?? BsonCompare.Diff(expected["next_page"], report["next_page"], "next_page")
                       ?? (expected["_hash"] == report["_hash"] ? null : $"_hash {report["_hash"]} != {expected["_hash"]}");
            case Expectation.FailedWith(var message):
                if (status != Tdql.StatusFailed) return $"status {status}, expected failed with {message}";
                if (report["current_page"] != 1 || report["next_page"] != 1) return "failed report pages are not 1/1";
                return report["data"].IsString && report["data"].AsString.Contains(message, StringComparison.Ordinal)
                    ? null : $"report text {Brief(report["data"])} lacks {message}";
            case Expectation.ReadyWith(var data, var current, var next, var tolerance):
                if (status != Tdql.StatusReady) return $"status {status}, expected ready ({Brief(report["data"])})";
                var actual = report["data"];
                var dataDiff = tolerance > 0 && data.IsNumeric && actual.IsNumeric
                    ? BsonCompare.CloseTo(data.ToDouble(), actual.ToDouble(), tolerance) ? null : $"value {BsonCompare.Number(actual.ToDouble())} != {BsonCompare.Number(data.ToDouble())}"
                    : BsonCompare.Diff(data, actual, "data");
                return dataDiff
                       ?? (report["current_page"] == current && report["next_page"] == next ? null : $"pages {report["current_page"]}/{report["next_page"]}, expected {current}/{next}");
            case Expectation.StatusOnly(var expectedStatus):
                return status == expectedStatus ? null : $"status {status}, expected {expectedStatus} ({Brief(report["data"])})";
            default:
                throw new ArgumentOutOfRangeException(nameof(expectation));
        }
    }

    // D9: a reused report carries the latest requester's userid and pages, the content of the original.
    public static string? CheckSequence(BsonDocument q, BsonDocument report, string? status)
    {
        q = Expectation.WithD14(q);
        var expected = q["report"].AsBsonDocument;
        if (status != q["status"]) return $"status {status}, expected {q["status"]}";
        if (BsonCompare.Diff(expected["data"], report["data"], "data") is { } d) return d;
        if (expected["_hash"] != report["_hash"]) return "_hash differs";
        if (report["userid"] != q["userid"]) return "stored report keeps an earlier requester's userid (D9)";
        var qdata = q["qdata"];
        var page = qdata.IsBsonDocument && qdata.AsBsonDocument.TryGetValue("page", out var p) ? (int)p.ToDouble() : 1;
        return report["current_page"] == page ? null : $"current_page {report["current_page"]}, expected the requested {page} (D9)";
    }

    private static string Brief(BsonValue v)
    {
        var text = v.ToString() ?? "";
        return text.Length > 100 ? text[..97] + "..." : text;
    }
}
