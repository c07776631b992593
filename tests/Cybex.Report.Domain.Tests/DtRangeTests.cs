using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Time;
using MongoDB.Bson;
using NodaTime;
using NodaTime.Testing;
using Xunit;

namespace Cybex.Report.Domain.Tests;

public class DtRangeTests
{
    private static readonly Instant FrozenNow = TahoeTime.FromEpochSeconds(1641006245.5);
    private static readonly DtRange Range = new(new FakeClock(FrozenNow));

    public static TheoryData<int> VectorIndexes => new(Enumerable.Range(0, Fixtures.Small.DtrangeVectors.Count));

    private static string? Arg(BsonDocument args, string name) => args.GetValue(name, BsonNull.Value) is { IsString: true } s ? s.AsString : null;

    private static double Bound(BsonValue v) => v.IsBsonDocument ? double.Parse(v["$float"].AsString, System.Globalization.CultureInfo.InvariantCulture) : v.ToDouble();

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public void Fixture_vector_resolves_like_the_original(int index)
    {
        var vector = Fixtures.Small.DtrangeVectors[index];
        var args = vector["args"].AsBsonDocument;
        var result = vector["result"].AsBsonDocument;
        Func<object> resolve = () => Range.Resolve(Arg(args, "from"), Arg(args, "to"), Arg(args, "last"), Arg(args, "tzname"));
        if (result.Contains("start"))
        {
            var range = (TimeRange)resolve();
            Assert.Equal(Bound(result["start"]), range.StartSeconds);
            Assert.Equal(Bound(result["end"]), range.EndSeconds);
            return;
        }
        if (result["report_would_say"] == "InvalidParameterValue")
        {
            Assert.Equal(result["message"].AsString, Assert.Throws<InvalidParameterValueException>(resolve).Message);
            return;
        }
        // The original crashed on these (server error); D4 gives an instant for offsets, a clear message otherwise.
        var from = Arg(args, "from")!;
        if (from.Contains('T') || from.EndsWith('Z'))
        {
            Assert.Equal(1614549600.0, ((TimeRange)resolve()).StartSeconds);
        }
        else
        {
            Assert.Equal($"Invalid 'from'={from}!", Assert.Throws<InvalidParameterValueException>(resolve).Message);
        }
    }

    [Theory]
    [InlineData("1Y", 31557600)]
    [InlineData("1M", 2629800)]
    [InlineData("1 M", 2629800)]
    [InlineData("1m", 60)]
    [InlineData("2 weeks", 1209600)]
    [InlineData("0s", 0)]
    [InlineData("-5s", -5)]
    [InlineData("1_0s", 10)]
    public void Last_spans_the_unit_table(string last, double span)
    {
        var range = Range.Resolve(null, null, last, null);
        Assert.Equal(span, range.EndSeconds - range.StartSeconds);
    }

    [Theory]
    [InlineData("5min")]
    [InlineData("5 S")]
    [InlineData("s")]
    [InlineData("5x")]
    [InlineData("1.5h")]
    [InlineData("5 y")]
    public void Bad_last_is_rejected(string last) =>
        Assert.Equal($"Invalid 'last'={last}!", Assert.Throws<InvalidParameterValueException>(() => Range.Resolve(null, null, last, null)).Message);

    [Theory]
    [InlineData("2020/05/21 02:00am", null, 1590026400.0)]
    [InlineData("2020/05/21 02:00am", "america/los_angeles", 1590051600.0)]
    [InlineData("2020-05-21", "UTC", 1590019200.0)]
    [InlineData("05/06/2020", null, 1588723200.0)]
    [InlineData("May 21 2020 2am", "UTC", 1590026400.0)]
    [InlineData("2020-05-21 02:00:00.5", null, 1590026400.5)]
    [InlineData("2021-03-14 02:30", "America/Los_Angeles", 1615717800.0)]
    [InlineData("2021-11-07 01:30", "America/Los_Angeles", 1636277400.0)]
    [InlineData("1590051600", "America/Los_Angeles", 1590051600.0)]
    [InlineData("1e9", null, 1e9)]
    [InlineData("2021-03-01T00:00:00Z", "Asia/Kolkata", 1614556800.0)]
    [InlineData("2021-03-01T00:00:00+02:00", null, 1614549600.0)]
    public void From_dates_resolve_in_the_named_zone(string from, string? tz, double expected) =>
        Assert.Equal(expected, Range.Resolve(from, null, null, tz).StartSeconds);

    [Theory]
    [InlineData("US/Pacific")]
    [InlineData("EST")]
    [InlineData("Etc/GMT+8")]
    [InlineData("europe/berlin")]
    public void Legacy_and_case_insensitive_zone_names_resolve(string tz) => Assert.NotNull(DtRange.ResolveZone(tz));

    [Fact]
    public void Zero_bounds_mean_no_bound_and_future_events_are_excluded_by_default()
    {
        var open = Range.Resolve("0", "0", null, null);
        Assert.False(open.HasStart);
        Assert.False(open.HasEnd);
        Assert.True(open.Contains(9e12));
        var byDefault = Range.Resolve(null, null, null, null);
        Assert.False(byDefault.Contains(1641006245.6));
        Assert.True(byDefault.Contains(1641006245.5));
    }
}
