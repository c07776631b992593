using Cybex.Report.Cli.Output;
using Cybex.Report.Storage.Tdqls;
using System.Text;
using Cybex.Report.Contracts;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Worker.Querying;
using MassTransit;
using MongoDB.Bson;

namespace Cybex.Report.Cli.Commands;

/// <summary><c>submit --via bus</c>: the query as a message, the answer as the response.</summary>
public static class BusSubmit
{
    /// <summary>The broker user the CLI connects as, which RabbitMQ vouches for in each message's <c>user_id</c>.</summary>
    public static string BrokerUser => Environment.GetEnvironmentVariable("RABBITMQ_USER") ?? "guest";

    /// <param name="endpoints">Receive endpoints of the caller's own, if any.</param>
    public static IBusControl CreateBus(Action<IRabbitMqBusFactoryConfigurator>? endpoints = null) => Bus.Factory.CreateUsingRabbitMq(cfg =>
    {
        cfg.Host(Environment.GetEnvironmentVariable("RABBITMQ_HOST") ?? "127.0.0.1",
            ushort.TryParse(Environment.GetEnvironmentVariable("RABBITMQ_PORT"), out var port) ? port : (ushort)5672,
            Environment.GetEnvironmentVariable("RABBITMQ_VHOST") ?? "/",
            h =>
            {
                h.Username(BrokerUser);
                h.Password(Environment.GetEnvironmentVariable("RABBITMQ_PASS") ?? "guest");
            });
        endpoints?.Invoke(cfg);
    });

    /// <param name="token">The user's token; without it the query names <paramref name="userId"/> as a trusted service does.</param>
    public static async Task<int> RunAsync(TdqlStore store, QueryCipher publicKey, string qtype, BsonValue qdata, string userId, string? token, bool wait, int timeout,
        string format, CancellationToken ct)
    {
        var blob = publicKey.Encrypt(Encoding.UTF8.GetBytes(Canonical.Of(qdata)));
        var query = token is null ? new SubmitReportQuery(qtype, blob, true, userId) : new SubmitReportQuery(qtype, blob, true, Token: token);
        // Signed with the validated user_id: that is all a worker's trust in a bare UserId rests on.
        void Sign(SendContext<SubmitReportQuery> send) => Publisher.Sign(send, BrokerUser);
        var bus = CreateBus();
        try
        {
            using (var start = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                start.CancelAfter(TimeSpan.FromSeconds(10));
                try
                {
                    await bus.StartAsync(start.Token);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    throw new CliException($"broker unreachable: {e.Message}", 4);
                }
            }
            if (!wait)
            {
                await bus.Publish(query, Sign, ct);
                Console.Error.WriteLine($"sent {qtype} query on the bus");
                return 0;
            }
            var client = bus.CreateRequestClient<SubmitReportQuery>(RequestTimeout.After(s: timeout));
            Response<ReportReady, ReportRejected> response;
            try
            {
                response = await client.GetResponse<ReportReady, ReportRejected>(query, x => x.UseExecute(Sign), ct);
            }
            catch (RequestTimeoutException)
            {
                Console.Error.WriteLine($"no response within {timeout} s: is a worker with the query consumer on this broker?");
                return 1;
            }
            if (response.Is(out Response<ReportReady>? ready))
            {
                var report = await store.FindReportAsync(ready!.Message.ReportId, ct) ?? throw new CliException("the response came but the report is missing");
                Console.WriteLine(format == "table" ? ReportPrinter.Table(report, ready.Message.Status) : ReportPrinter.Json(report));
                return 0;
            }
            response.Is(out Response<ReportRejected>? rejected);
            Console.Error.WriteLine($"rejected: {rejected!.Message.Reason}");
            return 1;
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }
}
