using System.Text;
using Cybex.Report.Domain.Queries;
using Xunit;

namespace Cybex.Report.Domain.Tests;

public class CryptoVectorTests
{
    private static QueryCipher PrivateCipher => QueryCipher.FromPem(Fixtures.Crypto["private_key_pem"].AsString);

    public static TheoryData<string> VectorIds => new(Fixtures.Crypto["vectors"].AsBsonArray.Select(v => v["id"].AsString));

    public static TheoryData<string> MustFailIds => new(Fixtures.Crypto["must_fail"].AsBsonArray.Select(v => v["id"].AsString));

    private static MongoDB.Bson.BsonDocument Entry(string list, string id) =>
        Fixtures.Crypto[list].AsBsonArray.Select(v => v.AsBsonDocument).Single(v => v["id"] == id);

    [Theory]
    [MemberData(nameof(VectorIds))]
    public void Vector_blob_decrypts_to_its_plaintext(string id)
    {
        var vector = Entry("vectors", id);
        var plain = PrivateCipher.Decrypt(Convert.FromBase64String(vector["blob_base64"].AsString));
        Assert.Equal(vector["plaintext"].AsString, Encoding.UTF8.GetString(plain));
    }

    [Theory]
    [MemberData(nameof(VectorIds))]
    public void Vector_tdql_qdata_parses_to_the_blob(string id)
    {
        var vector = Entry("vectors", id);
        Assert.Equal(Convert.FromBase64String(vector["blob_base64"].AsString), PyBytesLiteral.Parse(vector["tdql_qdata"].AsString));
        Assert.Equal(vector["tdql_qdata"].AsString, PyBytesLiteral.Format(Convert.FromBase64String(vector["blob_base64"].AsString)));
    }

    [Theory]
    [MemberData(nameof(MustFailIds))]
    public void Tampered_blob_fails_with_a_clear_error(string id)
    {
        var entry = Entry("must_fail", id);
        var blob = PyBytesLiteral.Parse(entry["tdql_qdata"].AsString);
        var error = Assert.Throws<QueryDecodeException>(() => PrivateCipher.Decrypt(blob));
        Assert.StartsWith("encrypted qdata", error.Message);
    }

    [Fact]
    public void Encrypt_with_public_key_round_trips_through_private_key()
    {
        var pub = QueryCipher.FromPem(Fixtures.Crypto["public_key_pem"].AsString);
        var text = "{\"data\": \"\\\"x\\\"\"}";
        var blob = pub.Encrypt(Encoding.UTF8.GetBytes(text));
        Assert.Equal(256 + 16 + 16 + text.Length, blob.Length);
        Assert.Equal(text, Encoding.UTF8.GetString(PrivateCipher.Decrypt(blob)));
        Assert.False(pub.CanDecrypt);
    }

    [Fact]
    public void Blob_for_another_key_fails()
    {
        using var other = System.Security.Cryptography.RSA.Create(2048);
        var blob = QueryCipher.FromPem(other.ExportSubjectPublicKeyInfoPem()).Encrypt("{}"u8);
        Assert.Throws<QueryDecodeException>(() => PrivateCipher.Decrypt(blob));
    }

    [Fact]
    public void Garbage_pem_is_refused() => Assert.Throws<QueryDecodeException>(() => QueryCipher.FromPem("not a key"));
}
