using System.Text.RegularExpressions;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Queries;

/// <summary>
/// The original's <c>schema_qdata</c> (JSON Schema draft-07) and <c>schema_count</c>, checked in the same order
/// jsonschema reports them, with the same first-line messages.
/// </summary>
public static partial class QueryValidator
{
    public static readonly string[] SubTypes = ["asn", "body", "domain", "email_addr", "filename", "hostname", "sha256", "subject", "ip", "ipv4", "url"];
    public static readonly string[] Categories = ["all", "benign", "malicious", "unknown"];
    public static readonly string[] ReturnTypes = ["all", "attribute", "event", "object", "session"];

    private static readonly string[] PropertyOrder =
        ["sub_type", "data", "from", "to", "last", "tzname", "category", "context", "return_type", "level", "page", "summary", "summary_graph", "_hash"];

    [GeneratedRegex("^[A-Fa-f0-9]{64}$")]
    private static partial Regex HashPattern();

    public static ReportQuery Validate(string qtype, BsonValue qdata)
    {
        if (!qdata.IsBsonDocument) throw TypeError(qdata, "'object'", "");
        var doc = qdata.AsBsonDocument;
        foreach (var name in PropertyOrder)
        {
            if (doc.TryGetValue(name, out var value)) CheckProperty(name, value);
        }
        var extra = doc.Names.Where(n => !PropertyOrder.Contains(n)).ToList();
        if (extra.Count > 0)
        {
            var listed = string.Join(", ", extra.Select(PyRepr.Str));
            throw new QueryValidationException(
                $"Additional properties are not allowed ({listed} {(extra.Count == 1 ? "was" : "were")} unexpected)", "additionalProperties", "");
        }
        // D5: related without sub_type crashed the original; it is as required as for count.
        string[] required = qtype switch
        {
            ReportTypes.Count => ["sub_type", "data"],
            ReportTypes.Related => ["sub_type"],
            ReportTypes.Threatrank => ["_hash"],
            _ => [],
        };
        foreach (var name in required)
        {
            if (!doc.Contains(name)) throw new QueryValidationException($"{PyRepr.Str(name)} is a required property", "required", "");
        }

        var subType = doc.TryGetValue("sub_type", out var st) ? st.AsString : null;
        return new ReportQuery
        {
            SubType = subType == "ip" ? "ipv4" : subType,
            Data = doc.GetValue("data", BsonNull.Value),
            From = OptionalString(doc, "from"),
            To = OptionalString(doc, "to"),
            Last = OptionalString(doc, "last"),
            TzName = OptionalString(doc, "tzname"),
            Category = OptionalString(doc, "category") ?? "all",
            Context = OptionalString(doc, "context") ?? "all",
            ReturnType = OptionalString(doc, "return_type") ?? "all",
            Level = doc.TryGetValue("level", out var level) ? (int)level.ToDouble() : 1,
            Page = doc.TryGetValue("page", out var page) ? (int)page.ToDouble() : 1,
            Summary = !doc.TryGetValue("summary", out var summary) || summary.AsBoolean,
            SummaryGraph = doc.TryGetValue("summary_graph", out var graph) && graph.AsBoolean,
            Hash = OptionalString(doc, "_hash")?.ToLowerInvariant() ?? "",
        };
    }

    private static string? OptionalString(BsonDocument doc, string name) => doc.TryGetValue(name, out var v) ? v.AsString : null;

    private static void CheckProperty(string name, BsonValue value)
    {
        switch (name)
        {
            case "sub_type": Enum(name, value, SubTypes); break;
            case "data":
                if (value.BsonType is not (BsonType.Boolean or BsonType.Int32 or BsonType.Int64 or BsonType.Decimal128 or BsonType.Null or BsonType.Double or BsonType.String))
                {
                    throw TypeError(value, "'boolean', 'integer', 'null', 'number', 'string'", name);
                }
                break;
            case "from" or "to" or "last" or "tzname":
                if (!value.IsString) throw TypeError(value, "'string'", name);
                break;
            case "category" or "context": Enum(name, value, Categories); break;
            case "return_type": Enum(name, value, ReturnTypes); break;
            case "level": Integer(name, value, 1, 3); break;
            case "page": Integer(name, value, 1, null); break;
            case "summary" or "summary_graph":
                if (!value.IsBoolean) throw TypeError(value, "'boolean'", name);
                break;
            case "_hash":
                if (!value.IsString) throw TypeError(value, "'string'", name);
                if (!HashPattern().IsMatch(value.AsString))
                {
                    throw new QueryValidationException($"{Shown(value)} does not match '^[A-Fa-f0-9]{{64}}$'", "pattern", name);
                }
                break;
        }
    }

    private static void Enum(string name, BsonValue value, string[] allowed)
    {
        if (value.IsString && allowed.Contains(value.AsString)) return;
        var list = "[" + string.Join(", ", allowed.Select(PyRepr.Str)) + "]";
        throw new QueryValidationException($"{Shown(value)} is not one of {list}", "enum", name);
    }

    // Draft-07 counts 2.0 as an integer; D5 takes it as 2 instead of crashing later.
    private static void Integer(string name, BsonValue value, int minimum, int? maximum)
    {
        var isInteger = value.BsonType is BsonType.Int32 or BsonType.Int64
            || (value.BsonType == BsonType.Double && double.IsFinite(value.AsDouble) && Math.Floor(value.AsDouble) == value.AsDouble);
        if (!isInteger) throw TypeError(value, "'integer'", name);
        var number = value.ToDouble();
        if (number < minimum) throw new QueryValidationException($"{Shown(value)} is less than the minimum of {minimum}", "minimum", name);
        if (maximum is { } max && number > max)
        {
            throw new QueryValidationException($"{Shown(value)} is greater than the maximum of {max}", "maximum", name);
        }
        if (number > int.MaxValue) throw new QueryValidationException($"{Shown(value)} is greater than the maximum of {int.MaxValue}", "maximum", name);
    }

    // Hostile qdata can be megabytes long; the message names it without repeating all of it.
    private static string Shown(BsonValue value)
    {
        var text = PyRepr.Of(value);
        return text.Length <= MaxShown ? text : text[..(MaxShown - 3)] + "...";
    }

    private const int MaxShown = 300;

    private static QueryValidationException TypeError(BsonValue value, string types, string path) =>
        new($"{Shown(value)} is not of type {types}", "type", path);
}
