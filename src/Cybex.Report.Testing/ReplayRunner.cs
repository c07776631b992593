using Cybex.Report.Storage.Tdqls;
using System.Diagnostics;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Time;
using Microsoft.Extensions.Hosting;
using MongoDB.Bson;

namespace Cybex.Report.Testing;

public sealed record ReplayResult(int Passed, int Failed, int Nonces, int Total, double P50Ms, double P99Ms)
{
    public string Summary => $"replay: {Passed} passed, {Failed} failed, nonces {Nonces}/{Total}, p50 {P50Ms:0} ms, p99 {P99Ms:0} ms";
}

/// <summary>
/// The end-to-end acceptance check: the fixture's archive in scratch databases, every query written as the
/// API writes it (encrypted), each nonce awaited on its own listener, each stored report compared per
/// compatibility.md.
/// </summary>
public sealed class ReplayRunner(string mongoUrl, TextWriter output)
{
    public TimeSpan NonceTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Told (replayed, of all) after every query: the CLI's progress bar.</summary>
    public Action<int, int>? Progress { get; init; }

    public async Task<ReplayResult> RunAsync(FixtureFile file, bool withWorker, MongoOptions? target, CancellationToken ct)
    {
        await using var databases = target is null ? new ScratchDatabases("cybex_replay_", mongoUrl) : null;
        var scratch = databases?.Name ?? $"cybex_replay_{Guid.NewGuid():N}"[..25];
        var options = target ?? databases!.Options;
        var mongo = databases?.Mongo ?? new MongoContext(options, new CommandCounter());
        var (privatePem, publicPem) = KeyPairs.Generate();
        var keyFile = Path.Combine(Path.GetTempPath(), scratch + ".pem");
        KeyPairs.WritePrivate(keyFile, privatePem);
        var clock = new FrozenClock(TahoeTime.FromEpochSeconds(file.FrozenNow));
        IHost? worker = null;
        try
        {
            await ConformanceRunner.LoadAsync(mongo, file, ct);
            if (withWorker) worker = await InProcessWorker.StartAsync(InProcessWorker.Settings(options, keyFile, Prefix(scratch)), clock, ct: ct);
            else output.WriteLine($"replay: waiting for a worker on databases {options.TahoeDatabase}, {options.IdentityDatabase}, {options.ReportDatabase}; its key must match {keyFile}");
            var submitter = new QuerySubmitter(new TdqlStore(mongo), QueryCipher.FromPem(publicPem), clock);
            var store = new TdqlStore(mongo);
            int passed = 0, failed = 0, nonces = 0, total = 0;
            var latencies = new List<double>();
            var all = file.Queries.Count + file.Sequences.Sum(q => q["queries"].AsBsonArray.Count);

            async Task Replay(BsonDocument q, Func<BsonDocument, string?, string?> check)
            {
                total++;
                var sw = Stopwatch.StartNew();
                using var pending = await submitter.SubmitTextAsync(q["qtype"].AsString, q["qdata_text"].AsString, q["userid"].AsString, ct,
                    q.Contains("tampered") ? FlipLastByte : null);
                var arrived = await pending.WaitAsync(NonceTimeout, ct);
                sw.Stop();
                if (arrived)
                {
                    nonces++;
                    latencies.Add(sw.Elapsed.TotalMilliseconds);
                }
                var parsed = (await store.FindAsync(pending.TdqlHash, ct))?.Tdql;
                var report = parsed is { ReportId.Length: > 0 } ? await store.FindReportAsync(parsed.ReportId, ct) : null;
                var mismatch = !arrived ? $"no nonce within {NonceTimeout.TotalSeconds:0} s (status {parsed?.Status})"
                    : report is null ? "no report stored" : check(report, parsed!.Status);
                if (mismatch is null)
                {
                    passed++;
                }
                else
                {
                    failed++;
                    output.WriteLine($"MISMATCH {q["id"]}: {mismatch}");
                }
                Progress?.Invoke(total, all);
            }

            foreach (var q in file.Queries) await Replay(q, (r, s) => ConformanceRunner.Check(Expectation.For(q, file), r, s));
            foreach (var seq in file.Sequences)
            {
                foreach (var q in seq["queries"].AsBsonArray.Select(v => v.AsBsonDocument)) await Replay(q, (r, s) => ConformanceRunner.CheckSequence(q, r, s));
            }
            latencies.Sort();
            return new ReplayResult(passed, failed, nonces, total, Percentile(latencies, 0.5), Percentile(latencies, 0.99));
        }
        finally
        {
            if (worker is not null)
            {
                await worker.StopAsync(CancellationToken.None);
                worker.Dispose();
                await BrokerQueues.DeleteAsync(Prefix(scratch));
            }
            File.Delete(keyFile);
        }
    }

    private static string Prefix(string scratch) => "replay-" + scratch[^8..] + "-";

    // The original's tampered query flipped the last byte of the blob.
    private static byte[] FlipLastByte(byte[] blob)
    {
        var copy = (byte[])blob.Clone();
        copy[^1] ^= 0x01;
        return copy;
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
