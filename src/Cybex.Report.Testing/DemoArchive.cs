using System.Globalization;
using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;
using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>A generated archive: TAHOE documents, identity documents, and who is who.</summary>
public sealed record GeneratedArchive(
    IReadOnlyList<BsonDocument> ArchiveDocs,
    IReadOnlyList<BsonDocument> IdentityDocs,
    IReadOnlyDictionary<string, string> UserHashes,
    IReadOnlyList<string> EventHashes,
    IReadOnlyList<(string SubType, BsonValue Data)> PopularAttributes);

/// <summary>
/// A realistic, seeded threat archive: phishing mail, downloads, traffic, DNS and sightings across three orgs,
/// with nested objects, malicious and benign contexts, skewed value popularity and sessions.
/// Users: alice (org-a), bob (org-a, org-b), carol (org-b, honeynet), dave (no org).
/// </summary>
public static class DemoArchive
{
    public static readonly string[] OrgNames = ["org-a", "org-b", "honeynet"];

    public static GeneratedArchive Generate(int events, int seed, Instant now)
    {
        var rng = new Random(seed);
        var identity = new List<BsonDocument>();
        var users = new Dictionary<string, BsonDocument>();
        foreach (var name in new[] { "alice", "bob", "carol", "dave" })
        {
            var (user, children) = ArchiveDocuments.User($"{name}@cybex.example", char.ToUpperInvariant(name[0]) + name[1..], "demo-" + name);
            users[name] = user;
            identity.AddRange(children);
            identity.Add(user);
        }
        var members = new Dictionary<string, string[]> { ["org-a"] = ["alice", "bob"], ["org-b"] = ["bob", "carol"], ["honeynet"] = ["carol"] };
        var orgHashes = new List<string>();
        foreach (var orgName in OrgNames)
        {
            var memberDocs = members[orgName].Select(m => users[m]).ToList();
            var (org, children) = ArchiveDocuments.Org(orgName, orgName.ToUpperInvariant(), memberDocs, [memberDocs[0]]);
            identity.AddRange(children);
            identity.Add(org);
            orgHashes.Add(org["_hash"].AsString);
        }

        var archive = new List<BsonDocument>();
        var seen = new HashSet<string>();
        void Keep(BsonDocument doc)
        {
            if (seen.Add(doc["_hash"].AsString)) archive.Add(doc);
        }
        BsonDocument Attr(string subType, BsonValue data)
        {
            var a = TahoeDocuments.Attribute(subType, data);
            Keep(a);
            return a;
        }
        BsonDocument Obj(string subType, params BsonDocument[] children)
        {
            var o = TahoeDocuments.Object(subType, children);
            Keep(o);
            return o;
        }
        // Popularity is skewed so that some values connect many events, as real indicators do.
        int Skewed(int n) => (int)Math.Floor(n * Math.Pow(rng.NextDouble(), 2.5));
        string Ip(string net) => $"{net}.{1 + Skewed(254)}";
        string Domain() => new[] { "paypa1-secure", "login-verify", "update-cdn", "share-docs", "dropbox-files", "secure-bank", "parcel-track" }[Skewed(7)] + ".example";
        string Hex(int bytes)
        {
            var b = new byte[bytes];
            rng.NextBytes(b);
            return Convert.ToHexStringLower(b);
        }
        var files = Enumerable.Range(0, 40).Select(i => (Name: new[] { "invoice", "payroll", "report", "setup", "scan" }[i % 5] + $"_{i}." + new[] { "exe", "xlsm", "pdf.exe", "docm" }[i % 4], Sha: Hex(32))).ToArray();

        var eventDocs = new List<BsonDocument>();
        var popular = new List<(string, BsonValue)>();
        for (var i = 0; i < events; i++)
        {
            var org = orgHashes[rng.Next(10) < 5 ? 0 : rng.Next(10) < 7 ? 1 : 2];
            var when = now - Duration.FromSeconds(rng.Next(1, 365 * 86400)) + Duration.FromMilliseconds(rng.Next(4) * 250);
            var kind = rng.Next(5);
            BsonDocument[] children;
            string subType;
            switch (kind)
            {
                case 0:
                    subType = "email";
                    var domain = Domain();
                    children =
                    [
                        Obj("from", Attr("email_addr", $"{new[] { "billing", "hr", "ceo", "support" }[Skewed(4)]}@{domain}"), Attr("ipv4", Ip("203.0.113"))),
                        Obj("to", Attr("email_addr", $"user{1 + Skewed(30)}@{OrgNames[rng.Next(3)]}.example")),
                        Attr("subject", new[] { "Invoice overdue", "Your account is suspended", "Your parcel is on hold", "Wire transfer" }[Skewed(4)]),
                        Attr("url", $"https://{domain}/{new[] { "login", "invoice", "verify" }[Skewed(3)]}.php"),
                    ];
                    break;
                case 1:
                    subType = "file_download";
                    var file = files[Skewed(files.Length)];
                    children = [Obj("file", Attr("filename", file.Name), Attr("sha256", file.Sha)), Obj("src", Attr("ipv4", Ip("198.51.100"))), Attr("url", $"http://{Domain()}/{file.Name}")];
                    break;
                case 2:
                    subType = "network_traffic";
                    children =
                    [
                        Obj("src", Attr("ipv4", Ip("203.0.113"))), Obj("dst", Attr("ipv4", $"10.0.{Skewed(4)}.{1 + Skewed(254)}")),
                        Attr("port", new[] { 443, 445, 22, 8080, 3389 }[Skewed(5)]), Attr("protocol", rng.Next(4) == 0 ? "udp" : "tcp"),
                    ];
                    break;
                case 3:
                    subType = "dns_query";
                    children = [Attr("domain", Domain()), Attr("ipv4", Ip("198.51.100")), Attr("hostname", $"ws-{1 + Skewed(60):000}.{OrgNames[rng.Next(3)]}.example")];
                    break;
                default:
                    subType = "sighting";
                    children = [Attr("ipv4", Ip("192.0.2")), Attr("asn", new[] { 64496, 64500, 65536, 65550 }[Skewed(4)]), Attr("confidence", Math.Round(rng.NextDouble(), 2))];
                    break;
            }
            var roll = rng.Next(100);
            var category = roll < 15 ? "malicious" : roll < 25 ? "benign" : "unknown";
            var leaves = children.Where(c => c["itype"] == "attribute").Select(c => c["_hash"].AsString)
                .Concat(children.Where(c => c["itype"] == "object").SelectMany(c => c["_cref"].AsBsonArray.Select(v => v.AsString))).ToList();
            var context = leaves.Where(_ => rng.Next(3) == 0).ToList();
            var ev = ArchiveDocuments.Event(subType, children, org, when, category,
                malicious: category == "malicious" ? context : null, benign: category == "benign" ? context : null);
            Keep(ev);
            eventDocs.Add(ev);
        }

        // Campaign sessions tie together events that share an indicator.
        var sessionCount = Math.Max(1, events / 25);
        for (var s = 0; s < sessionCount; s++)
        {
            var memberEvents = eventDocs.Skip(rng.Next(Math.Max(1, eventDocs.Count - 6))).Take(3 + rng.Next(4)).Select(e => e["_hash"].AsString).ToList();
            var id = Attr("sessionid", $"campaign-{s.ToString("000", CultureInfo.InvariantCulture)}-{Hex(4)}");
            Keep(ArchiveDocuments.Session(s % 2 == 0 ? "phishing_campaign" : "ssh_session", [id], memberEvents));
        }
        // The most widely seen IPs make the most telling demo queries.
        var ipByHash = archive.Where(d => d["itype"] == "attribute" && d["sub_type"] == "ipv4").ToDictionary(d => d["_hash"].AsString, d => d["data"]);
        foreach (var top in eventDocs.SelectMany(e => e["_ref"].AsBsonArray.Select(v => v.AsString)).Where(ipByHash.ContainsKey)
                     .GroupBy(h => h).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(3))
        {
            popular.Add(("ipv4", ipByHash[top.Key]));
        }
        return new GeneratedArchive(archive, identity, users.ToDictionary(kv => kv.Key, kv => kv.Value["_hash"].AsString),
            eventDocs.Select(e => e["_hash"].AsString).ToList(), popular);
    }
}
