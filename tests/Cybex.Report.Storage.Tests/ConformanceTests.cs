using Cybex.Report.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Cybex.Report.Storage.Tests;

public class ConformanceTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("small.json")]
    [InlineData("medium.json")]
    public async Task Every_fixture_query_matches_the_original_or_its_documented_deviation(string name)
    {
        var file = FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), name));
        var log = new StringWriter();
        var result = await new ConformanceRunner(ScratchDatabases.ServerUrl, log).RunAsync(file, CancellationToken.None);
        output.WriteLine(log.ToString());
        Assert.Equal(0, result.Failed);
        var expected = file.Queries.Count + file.ThreatrankDirect.Count + file.ProcessQuery.Count
            + file.Sequences.Sum(s => s["queries"].AsBsonArray.Count);
        Assert.Equal(expected, result.Passed);
    }

    [Fact]
    public async Task Count_reports_take_a_bounded_number_of_database_commands()
    {
        var file = FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), "small.json"));
        var result = await new ConformanceRunner(ScratchDatabases.ServerUrl, TextWriter.Null).RunAsync(file, CancellationToken.None);
        // load TDQL, user+orgs, count, one bulk write for report, children and TDQL
        Assert.All(result.CommandsByType["count"], n => Assert.True(n <= 4, $"{n} commands"));
        Assert.All(result.CommandsByType["related"], n => Assert.True(n <= 10, $"{n} commands"));
        Assert.All(result.CommandsByType["threatrank_direct"], n => Assert.True(n <= 9, $"{n} commands"));
    }
}
