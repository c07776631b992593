using Cybex.Report.Domain.Reports;
using Cybex.Report.Storage.Archive;
using Cybex.Report.Testing;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Cybex.Report.Storage.Tests;

public class MongoRoundTripTests
{
    [Fact]
    public async Task A_tahoe_attribute_is_stored_and_found_by_hash()
    {
        await using var mongo = new ScratchDatabases("t");
        var doc = TahoeDocuments.Attribute("ipv4", "1.1.1.1");
        await mongo.Mongo.Archive.InsertOneAsync(doc);
        var found = await mongo.Mongo.Archive.Find(Builders<BsonDocument>.Filter.Eq("_hash", "4469d1e06fdd2b03ce89abf4dcc354df0be231b97e7293fe1750232d2d3b23a6"))
            .Project(Builders<BsonDocument>.Projection.Exclude("_id")).SingleAsync();
        Assert.Equal("1.1.1.1", found["data"].AsString);
        Assert.Equal(found["_hash"].AsString, TahoeHash.Recompute(found));
    }

    [Fact]
    public async Task Integral_floats_lost_by_the_server_are_restored_from_the_hash()
    {
        await using var mongo = new ScratchDatabases("t");
        var data = new BsonDocument("asn", new BsonArray { 64500.0 });
        var ev = new BsonDocument
        {
            { "itype", "event" }, { "orgid", "org" }, { "timestamp", 1619000000.0 }, { "category", "unknown" }, { "data", data },
            { "_cref", new BsonArray() }, { "_ref", new BsonArray() }, { "_ben_ref", new BsonArray() }, { "_mal_ref", new BsonArray() },
            { "sub_type", "sighting" }, { "_hash", TahoeHash.Event("sighting", "org", 1619000000.0, data) },
        };
        await mongo.Mongo.Archive.InsertOneAsync(ev.DeepClone().AsBsonDocument);
        var back = (await new ArchiveStore(mongo.Mongo).DocumentsAsync([ev["_hash"].AsString], null, null, CancellationToken.None)).Single();
        Assert.Equal(BsonType.Double, back["timestamp"].BsonType);
        Assert.Equal(BsonType.Double, back["data"]["asn"][0].BsonType);
        Assert.Equal(Canonical.Of(ev), Canonical.Of(back));
    }

    [Fact]
    public async Task Reading_reports_never_writes_to_the_archive()
    {
        await using var mongo = new ScratchDatabases("t");
        var store = new ArchiveStore(mongo.Mongo);
        var selection = new EventSelection(TahoeHash.Attribute("ipv4", "9.9.9.9"), new Domain.Time.TimeRange(NodaTime.Instant.FromUnixTimeSeconds(0), NodaTime.Instant.FromUnixTimeSeconds(10)), "all", "all", ["org"]);
        Assert.Equal(0, await store.CountEventsAsync(selection, 100, CancellationToken.None));
        Assert.Equal(0, await mongo.Mongo.Archive.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }
}
