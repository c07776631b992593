using Cybex.Report.Storage.Tdqls;
using System.Text;
using Cybex.Report.Testing;
using Cybex.Report.Storage;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using Cybex.Report.Domain.Queries;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Cli.Output;

/// <summary>Reports for people: indented JSON, or a readable table.</summary>
public static class ReportPrinter
{
    public static string Json(BsonDocument report) =>
        report.ToJson(new MongoDB.Bson.IO.JsonWriterSettings { Indent = true, OutputMode = MongoDB.Bson.IO.JsonOutputMode.RelaxedExtendedJson });

    public static string Table(BsonDocument report, string status)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{report["sub_type"]} report {report["_hash"].AsString[..12]}…  status {status}  page {report["current_page"]} (next {report["next_page"]})");
        var data = report["data"];
        switch (data.BsonType)
        {
            case BsonType.Document:
                var width = data.AsBsonDocument.Names.DefaultIfEmpty("").Max(n => n.Length);
                foreach (var el in data.AsBsonDocument)
                {
                    var values = el.Value.IsBsonArray ? el.Value.AsBsonArray.Select(Cell) : [Cell(el.Value)];
                    sb.AppendLine($"  {el.Name.PadRight(width)}  {string.Join(", ", values)}");
                }
                if (data.AsBsonDocument.ElementCount == 0) sb.AppendLine("  (nothing related)");
                break;
            case BsonType.Array:
                foreach (var doc in data.AsBsonArray.Select(v => v.AsBsonDocument))
                {
                    sb.AppendLine($"  {doc["itype"],-9} {doc["sub_type"],-18} {(doc["itype"] == "attribute" ? Cell(doc["data"]) : doc["_hash"].AsString[..16] + "…")}");
                }
                break;
            default:
                sb.AppendLine($"  {Cell(data)}");
                break;
        }
        return sb.ToString().TrimEnd();
    }

    private static string Cell(BsonValue v) => v.BsonType switch
    {
        BsonType.String => v.AsString,
        BsonType.Array => string.Join(" ← ", v.AsBsonArray.Select(Cell)),
        _ => PyRepr.Of(v),
    };
}
