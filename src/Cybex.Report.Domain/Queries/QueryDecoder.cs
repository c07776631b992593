using Cybex.Report.Domain.Tahoe;
using System.Text;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Queries;

/// <summary>TDQL qdata text → the qdata value the user sent: bytes literal, optional decryption, decanonical.</summary>
public static class QueryDecoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static BsonValue Decode(string qdataLiteral, bool encrypted, QueryCipher? cipher)
    {
        var bytes = PyBytesLiteral.Parse(qdataLiteral);
        if (encrypted)
        {
            if (cipher is null || !cipher.CanDecrypt) throw new QueryDecodeException("the query is encrypted and no private key is configured");
            bytes = cipher.Decrypt(bytes);
        }
        return FromPlain(bytes);
    }

    /// <summary>Decrypted (or never encrypted) qdata bytes → the qdata value.</summary>
    public static BsonValue FromPlain(byte[] bytes)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new QueryDecodeException("qdata is not valid UTF-8");
        }
        return Canonical.Decanonical(text);
    }
}
