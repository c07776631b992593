using Cybex.Report.Domain;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;

namespace Cybex.Report.Testing;

/// <summary>
/// A reference archive in the shared fixture format: the original's archive and identity documents, the
/// queries it answered and the reports it produced. Numbers keep Python's int/float distinction.
/// </summary>
public sealed class FixtureFile
{
    private FixtureFile(string path, BsonDocument root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }

    public BsonDocument Root { get; }

    public string Name => Root.GetValue("archive", System.IO.Path.GetFileNameWithoutExtension(Path)).AsString;

    public double FrozenNow => Root["frozen_now"].ToDouble();

    public IReadOnlyList<BsonDocument> ArchiveDocs => Docs("archive_docs");

    public IReadOnlyList<BsonDocument> IdentityDocs => Docs("identity_docs");

    public IReadOnlyList<BsonDocument> Queries => Docs("queries");

    public IReadOnlyList<BsonDocument> ThreatrankDirect => Docs("threatrank_direct");

    public IReadOnlyList<BsonDocument> Sequences => Docs("sequences");

    public IReadOnlyList<BsonDocument> ProcessQuery => Docs("process_query");

    public IReadOnlyList<BsonDocument> DtrangeVectors => Docs("dtrange_vectors");

    /// <summary>
    /// The private key the fixture's encrypted queries were made with: the file names a sibling crypto file
    /// ("crypto.json private_key_pem ...").
    /// </summary>
    public string? PrivateKeyPem()
    {
        if (!Root.TryGetValue("encryption_key", out var key) || !key.IsString) return null;
        var file = key.AsString.Split(' ')[0];
        var cryptoPath = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path) ?? ".", file);
        if (!File.Exists(cryptoPath)) return null;
        var crypto = PyJsonReader.Parse(File.ReadAllText(cryptoPath)).AsBsonDocument;
        return crypto.GetValue("private_key_pem", BsonNull.Value) is { IsString: true } pem ? pem.AsString : null;
    }

    private IReadOnlyList<BsonDocument> Docs(string name) =>
        Root.TryGetValue(name, out var v) && v.IsBsonArray ? v.AsBsonArray.Select(d => d.AsBsonDocument).ToList() : [];

    public static FixtureFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FixtureException($"cannot read fixture {path}: {e.Message}");
        }
        BsonValue root;
        try
        {
            root = PyJsonReader.Parse(text);
        }
        catch (TahoeFormatException e)
        {
            throw new FixtureException($"fixture {path} is not valid JSON: {e.Message}");
        }
        if (!root.IsBsonDocument || !root.AsBsonDocument.Contains("archive_docs"))
        {
            throw new FixtureException($"fixture {path} has no archive_docs: not a fixture file");
        }
        return new FixtureFile(path, root.AsBsonDocument);
    }

    /// <summary>Finds the shared fixtures folder: $CYBEX_FIXTURES, else ../shared/fixtures beside the checkout.</summary>
    public static string SharedFixturesDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable("CYBEX_FIXTURES");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        if (RepositoryRoot.TryFind() is { } root) return System.IO.Path.GetFullPath(System.IO.Path.Combine(root, "..", "shared", "fixtures"));
        throw new FixtureException("cannot find the shared fixtures: set CYBEX_FIXTURES");
    }
}

public sealed class FixtureException(string message) : Exception(message);
