using Cybex.Report.Cli.Output;
using Cybex.Report.Domain;
using Cybex.Report.Testing;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;
using MongoDB.Driver;
using System.CommandLine;
using Cybex.Report.Cli.Parsing;
using Cybex.Report.Storage;

namespace Cybex.Report.Cli.Commands;

public static class ImportCommand
{
    public static Command Create()
    {
        var db = CliOptions.Choice("--db", null, "the database the documents go to", "tahoe", "identity");
        var file = new Argument<string>("FILE") { Description = "a JSON array of TAHOE documents, or a fixture file", Arity = ArgumentArity.ZeroOrOne };
        var databases = new DatabaseOptions();
        var command = new Command("import",
            "Loads TAHOE documents into the archive or identity database: a JSON array of documents, or a fixture file (its archive_docs or identity_docs). "
            + "Documents are upserted by _hash, in file order. A document whose _hash does not match its content is refused, and nothing is written.")
        {
            db, file,
        };
        db.Required(command);
        command.Validators.Add(r =>
        {
            if (r.GetValue(file) is null) r.AddError("give exactly one FILE to import");
        });
        databases.AddTo(command);
        command.SetAction((r, ct) => RunAsync(r.GetValue(db)!, r.GetValue(file)!, databases.Context(r), ct));
        return command;
    }

    private static async Task<int> RunAsync(string db, string file, MongoContext mongo, CancellationToken ct)
    {
        var docs = Read(file, db);
        var bad = docs.Select((d, i) => (d, i)).FirstOrDefault(p => !HashMatches(p.d));
        if (bad.d is not null) throw new CliException($"document {bad.i} ({bad.d.GetValue("_hash", "no _hash")}) does not match its _hash; nothing imported");
        await Common.PingAsync(mongo, ct);
        var collection = db == "tahoe" ? mongo.Archive : mongo.Identity;
        var written = await Upsert(collection, docs, "import", ct);
        Console.WriteLine($"imported {written} documents into {(db == "tahoe" ? mongo.Options.TahoeDatabase : mongo.Options.IdentityDatabase)}.{mongo.Options.Collection}");
        return 0;
    }

    private static List<BsonDocument> Read(string path, string db)
    {
        if (!File.Exists(path)) throw new CliException($"{path} does not exist");
        BsonValue root;
        try
        {
            root = PyJsonReader.Parse(File.ReadAllText(path));
        }
        catch (TahoeFormatException e)
        {
            throw new CliException($"{path} is not valid JSON: {e.Message}");
        }
        if (root.IsBsonDocument && root.AsBsonDocument.Contains("archive_docs"))
        {
            var fixture = FixtureFile.Load(path);
            return (db == "tahoe" ? fixture.ArchiveDocs : fixture.IdentityDocs).ToList();
        }
        if (!root.IsBsonArray || root.AsBsonArray.Any(v => !v.IsBsonDocument)) throw new CliException($"{path} is neither a JSON array of documents nor a fixture file");
        return root.AsBsonArray.Select(v => v.AsBsonDocument).ToList();
    }

    public static bool HashMatches(BsonDocument doc) =>
        doc.GetValue("_hash", BsonNull.Value) is { IsString: true } hash && TahoeHash.Recompute(doc) == hash.AsString;

    public static async Task<int> Upsert(IMongoCollection<BsonDocument> collection, IReadOnlyList<BsonDocument> docs, string label, CancellationToken ct)
    {
        const int batch = 500;
        using var progress = new Progress(label, docs.Count);
        for (var i = 0; i < docs.Count; i += batch)
        {
            var writes = docs.Skip(i).Take(batch).Select(d =>
            {
                var copy = d.DeepClone().AsBsonDocument;
                copy.Remove("_id");
                return (WriteModel<BsonDocument>)new ReplaceOneModel<BsonDocument>(Builders<BsonDocument>.Filter.Eq("_hash", copy["_hash"].AsString), copy) { IsUpsert = true };
            }).ToList();
            await collection.BulkWriteAsync(writes, new BulkWriteOptions { IsOrdered = true }, ct);
            progress.Report(Math.Min(docs.Count, i + batch));
        }
        return docs.Count;
    }
}
