using Cybex.Report.Testing;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Tests;

/// <summary>The shared fixture files, loaded once per test run.</summary>
public static class Fixtures
{
    private static readonly Lazy<FixtureFile> SmallFile = new(() => Load("small.json"));
    private static readonly Lazy<FixtureFile> MediumFile = new(() => Load("medium.json"));
    private static readonly Lazy<BsonDocument> CryptoFile = new(() =>
        PyJsonReader.Parse(File.ReadAllText(Path.Combine(FixtureFile.SharedFixturesDirectory(), "crypto.json"))).AsBsonDocument);

    public static FixtureFile Small => SmallFile.Value;

    public static FixtureFile Medium => MediumFile.Value;

    public static BsonDocument Crypto => CryptoFile.Value;

    public static IEnumerable<FixtureFile> Archives => [Small, Medium];

    public static FixtureFile ByName(string name) => name == "small" ? Small : Medium;

    private static FixtureFile Load(string name) => FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), name));

    /// <summary>Every query of a file, including those of its sequences.</summary>
    public static IEnumerable<BsonDocument> AllQueries(FixtureFile file) =>
        file.Queries.Concat(file.Sequences.SelectMany(s => s["queries"].AsBsonArray.Select(q => q.AsBsonDocument)));
}
