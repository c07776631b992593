using MongoDB.Bson;

namespace Cybex.Report.Domain.Tahoe;

/// <summary>Builds TAHOE attributes and objects (domain §1.4) the way the TAHOE library stores them.</summary>
public static class TahoeDocuments
{
    public static BsonDocument Attribute(string subType, BsonValue data) => new()
    {
        { "itype", "attribute" },
        { "data", data },
        { "sub_type", subType },
        { "_hash", TahoeHash.Attribute(subType, data) },
    };

    /// <summary>data maps each child sub_type to its values; _cref the children, _ref their closure.</summary>
    public static (BsonDocument Data, List<string> Cref, List<string> Ref) Edges(IReadOnlyList<BsonDocument> children)
    {
        var data = new BsonDocument();
        foreach (var child in children)
        {
            var key = child["sub_type"].AsString;
            if (!data.Contains(key)) data[key] = new BsonArray();
            data[key].AsBsonArray.Add(child["data"]);
        }
        var cref = children.Select(c => c["_hash"].AsString).Distinct().ToList();
        var refs = cref.Concat(children.Where(c => c.Contains("_ref")).SelectMany(c => c["_ref"].AsBsonArray.Select(v => v.AsString))).Distinct().ToList();
        return (data, cref, refs);
    }

    public static BsonDocument Object(string subType, IReadOnlyList<BsonDocument> children)
    {
        var (data, cref, refs) = Edges(children);
        return new BsonDocument
        {
            { "itype", "object" }, { "data", data }, { "_cref", new BsonArray(cref) }, { "_ref", new BsonArray(refs) },
            { "sub_type", subType }, { "_hash", TahoeHash.Object("object", subType, data) },
        };
    }
}
