using Cybex.Report.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cybex.Report.Worker.Hosting;

/// <summary>Creates the indexes the report queries and the watcher use, once at start.</summary>
internal sealed class MongoIndexes(MongoContext mongo, ILogger<MongoIndexes> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!mongo.Options.CreateIndexes) return;
        try
        {
            await mongo.EnsureIndexesAsync(cancellationToken);
        }
        catch (MongoDB.Driver.MongoException e)
        {
            // Index creation can fail against duplicates already in report_db; queries still work without it.
            logger.LogWarning("Could not create indexes: {Reason}", e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
