using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Tahoe;
using System.Diagnostics;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using Cybex.Report.Testing;
using Xunit;

namespace Cybex.Report.Cli.Tests;

/// <summary>The operator tool as a user runs it: one clear line and a non-zero exit on every bad input.</summary>
public class CliTests
{
    private static Task<(int Exit, string Out, string Err)> RunAsync(string[] args, Dictionary<string, string>? env = null) =>
        ExecAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "cybex-report.dll"), .. args],
            new Dictionary<string, string>(env ?? []) { ["MONGO_URL"] = env?.GetValueOrDefault("MONGO_URL") ?? TestEnvironment.MongoUrl }, TimeSpan.FromSeconds(90));

    /// <summary>Runs a program to its end (within the timeout) and gives its exit code and what it printed.</summary>
    private static async Task<(int Exit, string Out, string Err)> ExecAsync(string file, string[] args, Dictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? []) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(180));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static async Task<string> KeyFileAsync(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(path, content);
        return path;
    }

    /// <summary>Runs bench with <c>--json</c> to a file of its own (removed after); the run must succeed. Gives what it printed and the JSON.</summary>
    private static async Task<(string Output, string Json)> BenchJsonAsync(params string[] args)
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        try
        {
            var (code, output, err) = await RunAsync(["bench", .. args, "--json", json], new Dictionary<string, string> { ["RABBITMQ_HOST"] = TestEnvironment.RabbitHost });
            Assert.True(code == 0, err + output);
            return (output, await File.ReadAllTextAsync(json));
        }
        finally
        {
            File.Delete(json);
        }
    }

    public static TheoryData<string[], int, string> BadInput => new()
    {
        { ["submit", "--type", "count", "--query", "{bad json"], 2, "--query is not a JSON object" },
        { ["submit", "--type", "bogus", "--query", "{}"], 2, "--type must be count, related or threatrank" },
        { ["submit", "--type", "count", "--query", "{}", "--public-key", "/nonexistent/pub.pem"], 2, "does not exist" },
        { ["import", "--db", "archive", "x.json"], 2, "--db must be tahoe or identity" },
        { ["conformance", "--fixture", "/nonexistent.json"], 2, "cannot read fixture" },
        { ["conformance"], 2, "missing --fixture" },
        { ["status", "--typo", "1"], 2, "unknown option --typo" },
        { ["frobnicate"], 2, "unknown command 'frobnicate'" },
        { [], 2, "no command given" },
        { ["import", "--db", "tahoe"], 2, "give exactly one FILE to import" },
        { ["bench", "--events", "abc"], 2, "--events must be a whole number from 10 to 1000000" },
        { ["bench", "--mode", "open"], 2, "--mode must be burst or closed" },
        { ["bench", "--compare", "/nonexistent"], 2, "--compare /nonexistent holds no cybex-report-worker.dll" },
        { ["bench", "--plot", "figures.jpg"], 2, "--plot must name a .png file" },
        { ["bench", "--floor", "--queries", "10"], 2, "--floor runs no worker: it goes with --json and the database options only" },
        { ["requeue", "--failed", "--stuck"], 2, "give exactly one of --failed, --stuck, --tdql HASH" },
        { ["quota", "--per-minute", "5"], 2, "--per-minute and --remove need --org" },
        { ["quota", "--org", "abc", "--remove"], 2, "--org must be a 64-character lower-case hex hash" },
        { ["status", "--interval", "0"], 2, "--interval must be a whole number from 1 to 3600" },
        { ["status", "--mongo", "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"], 3, "database unreachable" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public async Task Bad_input_gives_one_clear_line_and_a_nonzero_exit(string[] args, int exit, string message)
    {
        var (code, _, err) = await RunAsync(args);
        Assert.Equal(exit, code);
        Assert.Contains(message, err);
        Assert.DoesNotContain("   at ", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public async Task Help_version_and_completions_come_from_the_parser()
    {
        var (code, help, _) = await RunAsync(["--help"]);
        Assert.Equal(0, code);
        foreach (var command in new[] { "status", "requeue", "quota", "submit", "keygen", "import", "seed-demo", "demo", "bench", "replay", "conformance" }) Assert.Contains(command, help);

        var bench = await RunAsync(["bench", "--help"]);
        Assert.Equal(0, bench.Exit);
        Assert.Contains("--plot <FILE.png>", bench.Out);
        Assert.Contains("--mode <burst|closed>", bench.Out);
        Assert.Contains("[default: 300]", bench.Out);

        var version = await RunAsync(["--version"]);
        Assert.Equal(0, version.Exit);
        Assert.StartsWith("1.0.0", version.Out.Trim());

        // What a shell's completion script asks (dotnet-suggest's directive, the cursor at the end of the line).
        const string line = "bench --mode ";
        var suggest = await RunAsync([$"[suggest:{line.Length}]", line]);
        Assert.Equal(["burst", "closed"], suggest.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Status_prints_json_snapshots_and_watch_refreshes_them()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync();
        using (var pending = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(1), env.UserId("alice"), CancellationToken.None))
        {
            Assert.True(await pending.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None));
        }
        string[] databases = ["--tahoe-db", env.Options.TahoeDatabase, "--identity-db", env.Options.IdentityDatabase, "--report-db", env.Options.ReportDatabase];
        var management = new Uri(Environment.GetEnvironmentVariable("RABBITMQ_MANAGEMENT_URL") ?? $"http://{TestEnvironment.RabbitHost}:15672/");
        var rabbit = $"http://{Environment.GetEnvironmentVariable("RABBITMQ_USER") ?? "guest"}:{Environment.GetEnvironmentVariable("RABBITMQ_PASS") ?? "guest"}@{management.Authority}";

        // The broker's view: this worker's report queue, with its consumer (the management API's figures lag by
        // its statistics interval, 5 s by default).
        static bool Consumed(BsonDocument s) => s["queues"].AsBsonArray.Any(q => q["name"].AsString.EndsWith("report-requested", StringComparison.Ordinal) && q["consumers"].ToInt32() >= 1);
        BsonDocument snapshot;
        var waited = Stopwatch.StartNew();
        do
        {
            var (code, output, err) = await RunAsync(["status", "--json", "--rabbit-api", rabbit, .. databases]);
            Assert.True(code == 0, err + output);
            snapshot = BsonDocument.Parse(output);
        }
        while (!Consumed(snapshot) && waited.Elapsed < TimeSpan.FromSeconds(30));
        Assert.True(Consumed(snapshot), snapshot.ToJson());
        Assert.Equal(1, snapshot["queries"]["ready"].ToInt32());
        Assert.Equal(0, snapshot["expired_leases"].ToInt32());
        Assert.True(snapshot["reports_last_minute"].IsBsonDocument);

        var watched = await RunAsync(["status", "--watch", "--interval", "1", "--refreshes", "2", "--json", "--rabbit-api", rabbit, .. databases]);
        Assert.True(watched.Exit == 0, watched.Err);
        var lines = watched.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Equal(1, BsonDocument.Parse(l)["queries"]["ready"].ToInt32()));

        var plain = await RunAsync(["status", "--watch", "--interval", "1", "--refreshes", "2", "--rabbit-api", rabbit, .. databases]);
        Assert.Equal(2, plain.Out.Split('\n').Count(l => l.StartsWith("--- ", StringComparison.Ordinal)));
        Assert.Contains("reports/s over the last minute", plain.Out);
    }

    [Fact]
    public async Task Quota_sets_lists_and_removes_an_orgs_quota_and_status_shows_the_orgs_backlog_held_by_it()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        string[] databases = ["--tahoe-db", env.Options.TahoeDatabase, "--identity-db", env.Options.IdentityDatabase, "--report-db", env.Options.ReportDatabase];
        var orgA = env.Fixture.Root["orgs"]["org_a"]["_hash"].AsString;
        using var one = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(1), env.UserId("alice"), CancellationToken.None);
        using var two = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(2), env.UserId("alice"), CancellationToken.None);
        using var three = await env.Submitter.SubmitTextAsync("count", TestEnvironment.CountText(3), env.UserId("carol"), CancellationToken.None);

        var set = await RunAsync(["quota", "--org", orgA, "--per-minute", "0", .. databases]);
        Assert.True(set.Exit == 0, set.Err);
        var listed = await RunAsync(["quota", .. databases]);
        Assert.Contains($"{orgA}  0 a minute, 0 used in the last minute", listed.Out);
        var (code, output, err) = await RunAsync(["status", "--json", "--rabbit-api", "http://127.0.0.1:1/", .. databases]);
        Assert.True(code == 0, err + output);
        var orgs = BsonDocument.Parse(output)["orgs"].AsBsonArray.Select(o => o.AsBsonDocument).ToDictionary(o => o["org"].AsString);
        Assert.Equal((2, 0, true), (orgs[orgA]["waiting"].ToInt32(), orgs[orgA]["quota_per_minute"].ToInt32(), orgs[orgA]["throttled"].AsBoolean));
        var orgB = orgs[env.Fixture.Root["orgs"]["org_b"]["_hash"].AsString];
        Assert.Equal((1, true, false), (orgB["waiting"].ToInt32(), orgB["quota_per_minute"].IsBsonNull, orgB["throttled"].AsBoolean));

        var removed = await RunAsync(["quota", "--org", orgA, "--remove", .. databases]);
        Assert.Contains("removed", removed.Out);
        Assert.Contains("no quotas", (await RunAsync(["quota", .. databases])).Out);
    }

    [Fact]
    public async Task A_key_file_that_is_not_a_key_is_refused_in_one_line()
    {
        var key = await KeyFileAsync("not a key");
        var (code, _, err) = await RunAsync(["submit", "--type", "count", "--query", "{}", "--public-key", key]);
        Assert.Equal(2, code);
        Assert.Contains("not a valid PEM RSA key", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public async Task An_unreachable_broker_is_reported_in_one_line()
    {
        var fixture = Path.Combine(FixtureFile.SharedFixturesDirectory(), "small.json");
        var (code, _, err) = await RunAsync(["replay", "--fixture", fixture, "--with-worker"], new() { ["RABBITMQ_PORT"] = "1" });
        Assert.Equal(4, code);
        Assert.Contains("message broker unreachable", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public async Task Import_refuses_a_document_whose_hash_does_not_match_and_loads_good_ones()
    {
        var good = TahoeDocuments.Attribute("ipv4", "192.0.2.77");
        var bad = good.DeepClone().AsBsonDocument;
        bad["data"] = "192.0.2.78";
        var file = Path.Combine(Path.GetTempPath(), $"import-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, $"[{good.ToJson()}, {bad.ToJson()}]");
        var db = $"imp{Guid.NewGuid():N}"[..12];
        var refused = await RunAsync(["import", "--db", "tahoe", file, "--tahoe-db", db]);
        Assert.Equal(2, refused.Exit);
        Assert.Contains("does not match its _hash; nothing imported", refused.Err);

        await File.WriteAllTextAsync(file, $"[{good.ToJson()}]");
        var imported = await RunAsync(["import", "--db", "tahoe", file, "--tahoe-db", db]);
        Assert.Equal(0, imported.Exit);
        Assert.Contains("imported 1 documents", imported.Out);
        await new MongoDB.Driver.MongoClient(TestEnvironment.MongoUrl).DropDatabaseAsync(db);
    }

    [Fact]
    public async Task Keygen_writes_a_pair_that_submit_and_the_worker_accept()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"keys-{Guid.NewGuid():N}");
        var (code, output, _) = await RunAsync(["keygen", "--out", dir]);
        Assert.Equal(0, code);
        Assert.Contains("priv.pem", output);
        var priv = QueryCipher.FromPem(await File.ReadAllTextAsync(Path.Combine(dir, "priv.pem")));
        var pub = QueryCipher.FromPem(await File.ReadAllTextAsync(Path.Combine(dir, "pub.pem")));
        Assert.True(priv.CanDecrypt);
        Assert.Equal("{}"u8.ToArray(), priv.Decrypt(pub.Encrypt("{}"u8)));
        var again = await RunAsync(["keygen", "--out", dir]);
        Assert.Equal(2, again.Exit);
        Assert.Contains("--force", again.Err);
    }

    [Fact]
    public void A_private_key_is_owner_only_from_its_first_byte_even_over_a_readable_file()
    {
        if (OperatingSystem.IsWindows()) return;
        var file = Path.Combine(Path.GetTempPath(), $"key-{Guid.NewGuid():N}.pem");
        File.WriteAllText(file, "old");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            // Created, not chmod-ed afterwards: nobody else could open it while the key was being written.
            KeyPairs.WritePrivate(file, KeyPairs.Generate().PrivatePem);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.True(QueryCipher.FromPem(File.ReadAllText(file)).CanDecrypt);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Submit_via_bus_with_the_users_token_prints_the_report_and_without_it_is_refused_by_a_worker_that_trusts_no_service()
    {
        await using var env = new TestEnvironment();
        await env.LoadFixtureAsync();
        await env.StartWorkerAsync(s => s["Worker:Watcher"] = "false");
        var pub = await KeyFileAsync(TestEnvironment.PublicKeyPem);
        string[] Submit(params string[] extra) =>
            ["submit", "--via", "bus", "--wait", "--type", "count", "--query", """{"sub_type":"ipv4","data":"203.0.113.45"}""", "--user", "alice@org-a.example",
             "--public-key", pub, "--tahoe-db", env.Options.TahoeDatabase, "--identity-db", env.Options.IdentityDatabase, "--report-db", env.Options.ReportDatabase, .. extra];
        var broker = new Dictionary<string, string> { ["RABBITMQ_HOST"] = TestEnvironment.RabbitHost };

        var (code, output, err) = await RunAsync(Submit("--token", env.Token("alice")), broker);
        var (bareCode, _, bareErr) = await RunAsync(Submit(), broker);

        Assert.True(code == 0, err);
        Assert.Equal(3, BsonDocument.Parse(output)["data"].ToInt32());
        Assert.Equal(1, bareCode);
        Assert.Contains("trusted service", bareErr);
    }

    [Fact]
    public async Task Bench_lands_a_steady_load_at_the_rate_asked_one_query_at_a_time()
    {
        var (_, json) = await BenchJsonAsync("--events", "20", "--queries", "10", "--idle-seconds", "0", "--rate", "5");

        var run = BsonSerializer.Deserialize<BsonDocument>(json);
        Assert.Equal("api", run["arrival"].AsString);
        Assert.Equal(10, run["answered"].ToInt32());
        // Ten queries at 5/s take at least the 1.8 s between the first write and the last.
        Assert.True(run["wall_seconds"].ToDouble() >= 1.8, $"wall {run["wall_seconds"]}");
        // The first answer runs from the burst's first TDQL landing to the first nonce of any query: never sooner
        // than the shortest latency (every query landed after the first), which under API arrival is a warm
        // worker's answer to a later query, not the burst's first.
        var shortest = run["latency_ms"]["min"].ToDouble();
        Assert.True(run["first_answer_ms"].ToDouble() >= shortest - 0.1, $"first answer {run["first_answer_ms"]}, shortest latency {shortest}");
    }

    [Fact]
    public async Task Bench_floor_gives_the_stack_s_own_cost_per_operation_without_a_worker()
    {
        var (_, json) = await BenchJsonAsync("--floor");

        var figures = BsonSerializer.Deserialize<BsonArray>(json).Select(f => f.AsBsonDocument).ToList();
        Assert.Equal(["socket round trip", "driver command", "driver conditional update", "driver conditional update", "message published and consumed",
            "message published and consumed", "qdata decryption"], figures.Select(f => f["operation"].AsString.Split(" (")[0]));
        Assert.Equal([1, 1, 1, 8, 1, 8, 1], figures.Select(f => f["in_flight"].ToInt32()));
        Assert.All(figures, f => Assert.True(f["cpu_microseconds"].ToDouble() > 0 && f["wall_microseconds"].ToDouble() > 0, f.ToString()));
    }

    [Fact]
    public async Task Bench_compares_two_worker_builds_in_alternating_pairs_and_gives_the_median_ratio_of_each_figure()
    {
        // The other build is this one: what is compared is the procedure, not a change.
        var (output, json) = await BenchJsonAsync("--events", "20", "--queries", "6", "--idle-seconds", "0", "--compare", AppContext.BaseDirectory, "--pairs", "2");

        var order = output.Split('\n').Where(l => l.StartsWith("== pair", StringComparison.Ordinal)).Select(l => l.Contains("this build", StringComparison.Ordinal) ? "this" : "other");
        Assert.Equal(["this", "other", "other", "this"], order);
        Assert.Contains("median ratio", output);
        var comparison = BsonSerializer.Deserialize<BsonDocument>(json);
        Assert.Equal(2, comparison["this"].AsBsonArray.Count);
        Assert.Equal(2, comparison["other"].AsBsonArray.Count);
        var figures = comparison["figures"].AsBsonArray.Select(f => f.AsBsonDocument).ToDictionary(f => f["figure"].AsString);
        Assert.True(figures["reports_per_second"]["median_ratio"].ToDouble() > 0);
        Assert.Contains("worker_cpu_ms_per_report", figures.Keys);
    }

    [Fact]
    public async Task Bench_measures_a_worker_process_on_both_paths_and_writes_typed_figures()
    {
        var png = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.png");
        try
        {
            var (output, json) = await BenchJsonAsync("--events", "20", "--queries", "6", "--idle-seconds", "0", "--via", "both", "--plot", png);

            Assert.Contains("bus vs tdql:", output);
            var runs = BsonSerializer.Deserialize<BsonArray>(json);
            Assert.Equal(["tdql", "bus"], runs.Select(r => r["via"].AsString));
            // TDQLs land as the API writes them unless --arrival bulk says otherwise; a bus query has no TDQL to land.
            Assert.Equal(["api", "null"], runs.Select(r => r["arrival"].IsBsonNull ? "null" : r["arrival"].AsString));
            foreach (var run in runs.Select(r => r.AsBsonDocument))
            {
                Assert.Equal(6, run["answered"].ToInt32());
                Assert.True(run["worker_cpu_ms_per_report"].ToDouble() > 0);
                Assert.True(run["report_db_scans_per_report"].ToDouble() > 0);
                // The runtime's own count of time spent compiling: wall-clock, so it is not bounded by the CPU figure.
                Assert.True(run["worker_jit_ms_per_report"].ToDouble() >= 0);
            }
            Assert.True(runs[0]["commands_per_report_by_role"]["report"].ToDouble() > 0);
            // Where the round trips go: the report's commands on the leases, by role and collection.
            Assert.Contains(runs[0]["commands_per_report_by_role_and_collection"].AsBsonDocument.Names, n => n.StartsWith("report ", StringComparison.Ordinal) && n.EndsWith(".report_leases", StringComparison.Ordinal));
            Assert.True(runs[1]["commands_per_report_by_role"]["query"].ToDouble() > 0);
            PlotFiles.AssertPng(png, 1200, 900);
        }
        finally
        {
            File.Delete(png);
        }
    }

    [Fact]
    public async Task The_cli_packs_as_a_dotnet_tool_that_installs_from_its_package_and_runs()
    {
        var root = RepositoryRoot.Path;
        var work = Directory.CreateTempSubdirectory("cybex-tool-");
        try
        {
            var (packed, packOut, _) = await ExecAsync("dotnet", ["pack", Path.Combine(root, "src/Cybex.Report.Cli/Cybex.Report.Cli.csproj"),
                "-c", "Release", "--no-build", "-nologo", "-o", Path.Combine(work.FullName, "pkg")]);
            Assert.True(packed == 0, packOut);
            var tools = Path.Combine(work.FullName, "tools");
            var (installed, installOut, installErr) = await ExecAsync("dotnet", ["tool", "install", "--tool-path", tools,
                "--add-source", Path.Combine(work.FullName, "pkg"), "--ignore-failed-sources", "Cybex.Report.Cli"]);
            Assert.True(installed == 0, installOut + installErr);

            var keys = Path.Combine(work.FullName, "keys");
            var (code, output, err) = await ExecAsync(Path.Combine(tools, "cybex-report"), ["keygen", "--out", keys]);

            Assert.True(code == 0, err);
            Assert.True(QueryCipher.FromPem(await File.ReadAllTextAsync(Path.Combine(keys, "priv.pem"))).CanDecrypt, output);
            Assert.True(File.Exists(Path.Combine(keys, "pub.pem")));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
