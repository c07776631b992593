using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Cybex.Report.Testing;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Benchmarks;

/// <summary>The worker's CPU paths, measured side by side (ns/op and allocations).</summary>
[MemoryDiagnoser]
public class CpuPathBenchmarks
{
    private BsonDocument _event = null!;
    private string _literal = null!;
    private string _qdataText = null!;
    private byte[] _blob = null!;
    private QueryCipher _cipher = null!;
    private RSA _dotnetRsa = null!;
    private Org.BouncyCastle.Crypto.AsymmetricKeyParameter _bcPrivate = null!;
    private DtRange _dtRange = null!;
    private RankEvent _target = null!;
    private Dictionary<string, RankEvent> _events = null!;
    private Dictionary<string, IReadOnlyList<string>> _holders = null!;
    private ThreatRank _rank = null!;

    [GlobalSetup]
    public void Setup()
    {
        var medium = FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), "medium.json"));
        _event = medium.ArchiveDocs.First(d => d["itype"] == "event");
        var query = medium.Queries.First(q => q["qtype"] == "related" && q["status"] == "ready");
        _qdataText = query["qdata_text"].AsString;
        _literal = query["tdql_qdata"].AsString;
        var pem = medium.PrivateKeyPem()!;
        _cipher = QueryCipher.FromPem(pem);
        _blob = _cipher.Encrypt(Encoding.UTF8.GetBytes(_qdataText));
        _dotnetRsa = RSA.Create();
        _dotnetRsa.ImportFromPem(pem);
        _bcPrivate = ((Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair)new Org.BouncyCastle.OpenSsl.PemReader(new StringReader(pem)).ReadObject()).Private;
        var now = TahoeTime.FromEpochSeconds(medium.FrozenNow);
        _dtRange = new DtRange(new FrozenClock(now));

        // The whole medium archive as a threatrank graph.
        var attributes = medium.ArchiveDocs.Where(d => d["itype"] == "attribute").Select(d => d["_hash"].AsString).ToHashSet();
        _events = medium.ArchiveDocs.Where(d => d["itype"] == "event").ToDictionary(
            d => d["_hash"].AsString,
            d => new RankEvent(d["_hash"].AsString, d["category"] == "malicious", d["timestamp"].ToDouble(),
                d["_ref"].AsBsonArray.Select(v => v.AsString).Where(attributes.Contains).Distinct().ToList()));
        _holders = _events.Values.SelectMany(e => e.Attributes.Select(a => (a, e.Hash))).GroupBy(p => p.a)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(p => p.Hash).ToList());
        _target = _events[medium.ThreatrankDirect.First(t => t["category"] != "malicious")["_hash"].AsString];
        _rank = new ThreatRank(now, long.MaxValue);
    }

    [Benchmark]
    public string CanonicalAndHashOfEvent() => TahoeHash.Recompute(_event)!;

    [Benchmark]
    public byte[] ParseBytesLiteral() => PyBytesLiteral.Parse(_literal);

    /// <summary>The whole decryption as the worker runs it (.NET OAEP + BouncyCastle EAX).</summary>
    [Benchmark]
    public byte[] DecryptQuery() => _cipher.Decrypt(_blob);

    /// <summary>The OAEP step with .NET's RSA: the variant the worker uses.</summary>
    [Benchmark]
    public byte[] OaepStepDotnet() => _dotnetRsa.Decrypt(_blob.AsSpan(0, 256).ToArray(), RSAEncryptionPadding.OaepSHA1);

    /// <summary>The same OAEP step with BouncyCastle, the variant the worker no longer uses.</summary>
    [Benchmark(Baseline = true)]
    public byte[] OaepStepBouncyCastle()
    {
        var oaep = new Org.BouncyCastle.Crypto.Encodings.OaepEncoding(new Org.BouncyCastle.Crypto.Engines.RsaEngine());
        oaep.Init(false, _bcPrivate);
        return oaep.ProcessBlock(_blob, 0, 256);
    }

    [Benchmark]
    public ReportQuery DecanonicalAndValidate() => QueryValidator.Validate("related", Canonical.Decanonical(_qdataText));

    [Benchmark]
    public TimeRange TimeRangeWithZone() => _dtRange.Resolve("2021/05/21 02:00am", "2021-11-07 01:30", null, "America/Los_Angeles");

    [Benchmark]
    public double? ThreatrankMediumArchive() => _rank.Compute(_target, _events, _holders);
}
