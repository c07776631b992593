using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cybex.Report.Contracts;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Testing;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;

namespace Cybex.Report.Benchmarks;

/// <summary>
/// What the watcher's hand-over of the TDQL costs on the worker's CPU: the request as it was (hash and claim) and
/// as it is (the claimed TDQL carried as BSON), each serialised and read back as a consumer would, plus the
/// consumer's parse. The read it saves is a database round trip that BenchmarkDotNet cannot see: bench counts it.
/// </summary>
[MemoryDiagnoser]
public class HandOverBenchmarks
{
    private ReportRequested _bare = null!;
    private ReportRequested _carrying = null!;
    private byte[] _carryingJson = null!;

    [GlobalSetup]
    public void Setup()
    {
        var medium = FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), "medium.json"));
        var query = medium.Queries.First(q => q["qtype"] == "related" && q["status"] == "ready");
        var (tdql, _) = TdqlDocuments.Build("related", query["qhash"].AsString, query["tdql_qdata"].AsString, query["userid"].AsString, medium.FrozenNow, true,
            Tdql.StatusProcessing, new TdqlSocket("0.0.0.0", 45000, new string('n', 32)));
        _bare = new ReportRequested(tdql["_hash"].AsString, Guid.NewGuid(), DateTimeOffset.UnixEpoch);
        _carrying = _bare with { Tdql = tdql.ToBson() };
        _carryingJson = JsonSerializer.SerializeToUtf8Bytes(_carrying);
    }

    [Benchmark(Baseline = true)]
    public ReportRequested RequestWithHashOnly() => JsonSerializer.Deserialize<ReportRequested>(JsonSerializer.SerializeToUtf8Bytes(_bare))!;

    [Benchmark]
    public ReportRequested RequestCarryingTdql() => JsonSerializer.Deserialize<ReportRequested>(JsonSerializer.SerializeToUtf8Bytes(_carrying))!;

    /// <summary>The consumer's side: the carried BSON back to a checked TDQL, fields against edges included.</summary>
    [Benchmark]
    public bool ParseAndCheckCarriedTdql() =>
        StoredTdql.Parse(BsonSerializer.Deserialize<BsonDocument>(JsonSerializer.Deserialize<ReportRequested>(_carryingJson)!.Tdql!)).IsSelfConsistent();
}
