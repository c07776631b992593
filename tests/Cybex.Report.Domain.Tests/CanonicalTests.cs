using Cybex.Report.Domain;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;
using Xunit;

namespace Cybex.Report.Domain.Tests;

public class CanonicalTests
{
    [Theory]
    [InlineData(100.0, "100.0")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1590051600.123, "1590051600.123")]
    [InlineData(9999999999999998.0, "9999999999999998.0")]
    [InlineData(123456789.12345679, "123456789.12345679")]
    [InlineData(1e16, "1e+16")]
    [InlineData(9e-05, "9e-05")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(1.5e-07, "1.5e-07")]
    [InlineData(2.5e20, "2.5e+20")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(1.0, "1.0")]
    [InlineData(-1.0, "-1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e22, "1e+22")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Float_repr_matches_python(double value, string expected) => Assert.Equal(expected, PyJson.FloatRepr(value));

    [Fact]
    public void Canonical_of_nested_dict_repeats_escaping()
    {
        var doc = PyJsonReader.Parse("""{"b":1,"a":[3,1,2,1],"c":"é","d":null,"e":true,"f":1.0}""");
        Assert.Equal("""{"a": "[\"1\", \"2\", \"3\"]", "b": "1", "c": "\"\\u00e9\"", "d": "null", "e": "true", "f": "1.0"}""", Canonical.Of(doc));
        Assert.Equal("""{"filename": "[\"\\\"virus.exe\\\"\"]"}""", Canonical.Of(PyJsonReader.Parse("""{"filename":["virus.exe"]}""")));
    }

    [Fact]
    public void Canonical_strips_python_whitespace_including_file_separators()
    {
        Assert.Equal("\"x\"", Canonical.Of(new BsonString("\u001c\u00a0 x\u3000\u2028")));
        Assert.Equal("\"\\u200bx\"", Canonical.Of(new BsonString("\u200bx")));
    }

    [Fact]
    public void Canonical_sorts_lists_by_canonical_text_and_drops_duplicates() =>
        Assert.Equal("[\"10\", \"9\"]", Canonical.Of(new BsonArray { 9, 10, 9 }));

    [Fact]
    public void Canonical_escapes_astral_characters_as_surrogate_pairs_and_sorts_by_code_point()
    {
        Assert.Equal("\"\\ud83d\\ude00\"", Canonical.Of(new BsonString("😀")));
        var doc = new BsonDocument { { "😀", 1 }, { "\uffff", 2 } };
        Assert.StartsWith("{\"\\uffff\"", Canonical.Of(doc));
    }

    [Fact]
    public void Decanonical_inverts_canonical_and_unwraps_strings_once()
    {
        var original = PyJsonReader.Parse("""{"sub_type":"filename","data":"virus.exe","level":2,"summary":false}""");
        var back = Canonical.Decanonical(Canonical.Of(original)).AsBsonDocument;
        Assert.Equal("virus.exe", back["data"].AsString);
        Assert.Equal(2, back["level"].AsInt32);
        Assert.False(back["summary"].AsBoolean);
        Assert.Equal("123", Canonical.Decanonical("\"123\"").AsString);
    }

    [Fact]
    public void Decanonical_reparses_plain_json_values_like_the_original()
    {
        var back = Canonical.Decanonical("""{"data": "64500", "flag": "false", "name": "x"}""").AsBsonDocument;
        Assert.Equal(64500, back["data"].AsInt32);
        Assert.False(back["flag"].AsBoolean);
        Assert.Equal("x", back["name"].AsString);
    }

    [Fact]
    public void Json_reader_keeps_int_and_float_apart_and_refuses_deep_nesting()
    {
        Assert.Equal(BsonType.Int32, PyJsonReader.Parse("22").BsonType);
        Assert.Equal(BsonType.Double, PyJsonReader.Parse("22.0").BsonType);
        Assert.Equal(BsonType.Int64, PyJsonReader.Parse("12345678901").BsonType);
        Assert.True(double.IsNaN(PyJsonReader.Parse("NaN").AsDouble));
        var deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.Throws<TahoeFormatException>(() => PyJsonReader.Parse(deep));
        Assert.Equal(deep, Canonical.Decanonical(deep).AsString);
    }
}
