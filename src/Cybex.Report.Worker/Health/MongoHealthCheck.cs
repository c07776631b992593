using Cybex.Report.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Worker.Health;

/// <summary>A ping of the database server, bounded: a hung server must make the check fail, not hang it.</summary>
public sealed class MongoHealthCheck(MongoContext mongo) : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await mongo.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: timeout.Token);
            return HealthCheckResult.Healthy("ping answered");
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or MongoException)
        {
            return HealthCheckResult.Unhealthy($"ping failed: {e.GetType().Name}");
        }
    }
}
