using System.Diagnostics;
using System.Text;
using Cybex.Report.Domain.Answering;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Reports;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Time;
using Cybex.Report.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Worker.Hosting;

/// <summary>
/// Runs before the watcher claims anything: proves the database answers (else the start fails with exit code 3),
/// then walks one synthetic query through the report path (decrypt, validate, time range, identity and archive
/// reads, report document) so the first real query does not pay for connections and JIT. The API waits only 5 s.
/// </summary>
public sealed class Warmup(MongoContext mongo, QueryAnswerer answerer, IArchiveReader archive, QueryKey key, ILogger<Warmup> logger) : IHostedService
{
    private const string CountText = """{"data": "\"192.0.2.1\"", "sub_type": "\"ipv4\""}""";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var cipher = key.Cipher;
        try
        {
            foreach (var db in new[] { mongo.Options.TahoeDatabase, mongo.Options.IdentityDatabase, mongo.Options.ReportDatabase })
            {
                await mongo.Client.GetDatabase(db).RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken);
            }
        }
        catch (Exception e) when (e is MongoException or TimeoutException)
        {
            var hosts = string.Join(",", MongoUrl.Create(mongo.Options.Url).Servers.Select(s => s.ToString()));
            throw new StartupException(StartupException.Database, $"database unreachable at {hosts}: {e.Message}", e);
        }
        try
        {
            var literal = PyBytesLiteral.Format(cipher is null ? Encoding.UTF8.GetBytes(CountText) : cipher.Encrypt(Encoding.UTF8.GetBytes(CountText)));
            var (doc, _) = TdqlDocuments.Build(ReportTypes.Count, new string('0', 64), literal, new string('0', 64), 0, cipher is not null, Tdql.StatusProcessing,
                new TdqlSocket("localhost", 1, "0"));
            var tdql = Tdql.Parse(doc);
            // An unknown user: decode, validation, time range and the identity read run, nothing is written.
            var outcome = await answerer.GenerateAsync(tdql, cancellationToken);
            var query = QueryValidator.Validate(ReportTypes.Count, QueryDecoder.Decode(literal, cipher is not null, cipher));
            await new CountReport(archive, new ReportOptions()).RunAsync(query, new TimeRange(NodaTime.NodaConstants.UnixEpoch, NodaTime.NodaConstants.UnixEpoch), new UserAccess(tdql.UserId, []), cancellationToken);
            _ = outcome.ToDocument(ReportTypes.Count, tdql.UserId, NodaTime.Instant.FromUnixTimeSeconds(0)).ToBson();
            logger.LogInformation("Warmed up in {Elapsed} ms", Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F0"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Warm-up query failed ({Error}); the first real query pays the start-up cost", e.GetType().Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
