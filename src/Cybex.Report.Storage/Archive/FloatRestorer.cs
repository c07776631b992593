using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;

namespace Cybex.Report.Storage.Archive;

/// <summary>
/// Puts back the float type of integral floats (<c>64500.0</c>, event timestamps such as <c>1619000000.0</c>)
/// when a storage engine returned them as integers: CongoDB, our JavaScript test server, does, while MongoDB
/// keeps them. The document's own <c>_hash</c> says which types the original wrote, so the repair is checked,
/// never guessed; a document that already matches its hash is returned untouched.
/// </summary>
public static class FloatRestorer
{
    private const int MaxCandidates = 10;

    public static BsonDocument Restore(BsonDocument doc)
    {
        if (!doc.TryGetValue("_hash", out var hash) || !hash.IsString) return doc;
        // TAHOE always stores event timestamps as float(timestamp); the event hash reads them as floats either way.
        if (doc.GetValue("itype", BsonNull.Value) == "event" && doc.TryGetValue("timestamp", out var ts) && ts.BsonType is BsonType.Int32 or BsonType.Int64)
        {
            doc = doc.DeepClone().AsBsonDocument;
            doc["timestamp"] = (double)ts.ToInt64();
        }
        var expected = hash.AsString;
        if (TahoeHash.Recompute(doc) is not { } actual || actual == expected) return doc;

        var copy = doc.DeepClone().AsBsonDocument;
        if (!copy.TryGetValue("data", out var data)) return doc;
        var slots = new List<Action<bool>>();
        Collect(copy, "data", data, slots);
        if (slots.Count == 0 || slots.Count > MaxCandidates) return doc;
        for (var mask = 1; mask < 1 << slots.Count; mask++)
        {
            for (var i = 0; i < slots.Count; i++) slots[i]((mask & (1 << i)) != 0);
            if (TahoeHash.Recompute(copy) == expected) return copy;
        }
        return doc;
    }

    private static void Collect(BsonValue container, object key, BsonValue value, List<Action<bool>> slots)
    {
        switch (value.BsonType)
        {
            case BsonType.Int32 or BsonType.Int64:
                var asInt = value;
                var asDouble = new BsonDouble(value.ToInt64());
                slots.Add(toDouble => Set(container, key, toDouble ? asDouble : asInt));
                break;
            case BsonType.Document:
                foreach (var el in value.AsBsonDocument.ToList()) Collect(value, el.Name, el.Value, slots);
                break;
            case BsonType.Array:
                for (var i = 0; i < value.AsBsonArray.Count; i++) Collect(value, i, value.AsBsonArray[i], slots);
                break;
        }
    }

    private static void Set(BsonValue container, object key, BsonValue value)
    {
        if (key is string name) container.AsBsonDocument[name] = value;
        else container.AsBsonArray[(int)key] = value;
    }
}
