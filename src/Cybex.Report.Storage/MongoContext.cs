using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Storage;

/// <summary>One client for the process and the collections the report module touches.</summary>
public sealed class MongoContext
{
    public MongoContext(MongoOptions options, CommandCounter counter)
    {
        Options = options;
        Counter = counter;
        MongoClientSettings settings;
        try
        {
            settings = MongoClientSettings.FromConnectionString(options.Url);
        }
        catch (MongoConfigurationException e)
        {
            throw new ArgumentException($"Mongo:Url is not a valid MongoDB connection string: {e.Message}", nameof(options));
        }
        settings.ClusterConfigurator = builder => counter.Subscribe(builder);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(10);
        Client = new MongoClient(settings);
        Archive = Client.GetDatabase(options.TahoeDatabase).GetCollection<BsonDocument>(options.Collection);
        Identity = Client.GetDatabase(options.IdentityDatabase).GetCollection<BsonDocument>(options.Collection);
        ReportDb = Client.GetDatabase(options.ReportDatabase).GetCollection<BsonDocument>(options.Collection);
        Leases = Client.GetDatabase(options.ReportDatabase).GetCollection<BsonDocument>("report_leases");
        UndeliveredReplies = Client.GetDatabase(options.ReportDatabase).GetCollection<BsonDocument>("report_undelivered");
        Quotas = Client.GetDatabase(options.ReportDatabase).GetCollection<BsonDocument>("report_quotas");
    }

    public MongoOptions Options { get; }

    public CommandCounter Counter { get; }

    public IMongoClient Client { get; }

    public IMongoCollection<BsonDocument> Archive { get; }

    public IMongoCollection<BsonDocument> Identity { get; }

    public IMongoCollection<BsonDocument> ReportDb { get; }

    /// <summary>Claim leases live beside the TDQLs so the API's parser never sees them (D13).</summary>
    public IMongoCollection<BsonDocument> Leases { get; }

    /// <summary>Replies given up because the API had gone (refused, reset or silent), kept for operators.</summary>
    public IMongoCollection<BsonDocument> UndeliveredReplies { get; }

    /// <summary>Operators' per-org quotas and the claims each has counted (<c>Quotas/QuotaStore</c>).</summary>
    public IMongoCollection<BsonDocument> Quotas { get; }

    public async Task EnsureIndexesAsync(CancellationToken ct)
    {
        var keys = Builders<BsonDocument>.IndexKeys;
        await Archive.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<BsonDocument>(keys.Ascending("_hash")),
            new CreateIndexModel<BsonDocument>(keys.Ascending("itype").Ascending("_ref").Ascending("timestamp")),
            new CreateIndexModel<BsonDocument>(keys.Ascending("itype").Ascending("_ben_ref")),
            new CreateIndexModel<BsonDocument>(keys.Ascending("itype").Ascending("_mal_ref")),
            new CreateIndexModel<BsonDocument>(keys.Ascending("itype").Ascending("category")),
        ], ct);
        await Identity.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<BsonDocument>(keys.Ascending("_hash")),
            new CreateIndexModel<BsonDocument>(keys.Ascending("sub_type").Ascending("_usr_ref")),
        ], ct);
        await ReportDb.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<BsonDocument>(keys.Ascending("_hash")),
            new CreateIndexModel<BsonDocument>(keys.Ascending("sub_type").Ascending("data.status")),
        ], ct);
        await Leases.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<BsonDocument>(keys.Ascending("tdql"), new CreateIndexOptions { Unique = true }),
            new CreateIndexModel<BsonDocument>(keys.Ascending("expires")),
        ], ct);
        await Quotas.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("org"), new CreateIndexOptions { Unique = true }), cancellationToken: ct);
    }
}
