using Cybex.Report.Conformance;
using Cybex.Report.Storage;
using Cybex.Report.Tahoe.Query;
using Cybex.Report.Tahoe.Time;
using Cybex.Report.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Cybex.Report.Worker.Tests;

/// <summary>
/// Scratch databases loaded with the small fixture, a fresh key pair, a unique queue prefix, and worker hosts
/// wired to them. Reads RABBITMQ_HOST and MONGO_URL (tests/services.sh prints them).
/// </summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    public static string MongoUrl => Environment.GetEnvironmentVariable("MONGO_URL") ?? "mongodb://127.0.0.1:27017/?directConnection=true&serverMonitoringMode=poll";

    public static string RabbitHost => Environment.GetEnvironmentVariable("RABBITMQ_HOST") ?? "127.0.0.1";

    private static readonly Lazy<(string Private, string Public)> KeyPair = new(Cli.KeyPairs.Generate);

    private readonly List<IHost> _hosts = [];

    public TestEnvironment()
    {
        var id = $"w{Guid.NewGuid():N}"[..14];
        Prefix = id + "-";
        Options = new MongoOptions { Url = MongoUrl, TahoeDatabase = id + "_tahoe", IdentityDatabase = id + "_identity", ReportDatabase = id + "_report" };
        Mongo = new MongoContext(Options, new CommandCounter());
        PrivateKeyFile = Path.Combine(Path.GetTempPath(), id + ".pem");
        Cli.KeyPairs.WritePrivate(PrivateKeyFile, KeyPair.Value.Private);
        Fixture = FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), "small.json"));
        Clock = new FrozenClock(TahoeTime.FromEpochSeconds(Fixture.FrozenNow));
    }

    public string Prefix { get; }

    public MongoOptions Options { get; }

    public MongoContext Mongo { get; }

    public string PrivateKeyFile { get; }

    /// <summary>The API's half of the pair (what <c>submit --public-key</c> reads).</summary>
    public static string PublicKeyPem => KeyPair.Value.Public;

    public FixtureFile Fixture { get; }

    public IClock Clock { get; }

    public QuerySubmitter Submitter => new(new ReportStore(Mongo), QueryCipher.FromPem(KeyPair.Value.Public), Clock);

    /// <summary>A count query made distinct by a "from" of a few epoch seconds, which leaves its result unchanged.</summary>
    public static string CountText(int from) => $$"""{"data": "\"203.0.113.45\"", "from": "\"{{from}}\"", "sub_type": "\"ipv4\""}""";

    public string UserId(string label) => Fixture.Root["users"][label]["_hash"].AsString;

    public Task LoadFixtureAsync() => ConformanceRunner.LoadAsync(Mongo, Fixture, CancellationToken.None);

    public Dictionary<string, string?> Settings(string transport = "RabbitMq") => new()
    {
        ["Bus:Transport"] = transport,
        ["Bus:Host"] = RabbitHost,
        ["Bus:EndpointPrefix"] = Prefix,
        ["Bus:RetryIntervalsMilliseconds:0"] = "50",
        ["Mongo:Url"] = MongoUrl,
        ["Mongo:TahoeDatabase"] = Options.TahoeDatabase,
        ["Mongo:IdentityDatabase"] = Options.IdentityDatabase,
        ["Mongo:ReportDatabase"] = Options.ReportDatabase,
        ["Mongo:CreateIndexes"] = "false",
        ["Reports:PrivateKeyFile"] = PrivateKeyFile,
        ["Api:Host"] = "127.0.0.1",
        ["Worker:LeaseSeconds"] = "4",
        ["Worker:PollIdleMilliseconds"] = "200",
        ["Worker:ShutdownTimeoutSeconds"] = "5",
        ["Bus:WatchdogIntervalSeconds"] = "5",
        ["Bus:WatchdogRestartAfterSeconds"] = "30",
    };

    public async Task<IHost> StartWorkerAsync(Action<Dictionary<string, string?>>? tweak = null, Action<IServiceCollection>? services = null)
    {
        var settings = Settings();
        tweak?.Invoke(settings);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (Environment.GetEnvironmentVariable("CYBEX_TEST_LOG") is { Length: > 0 } log)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(new FileLogProvider(log));
        }
        else
        {
            builder.Logging.AddFilter(_ => false);
        }
        builder.Services.AddReportWorker(builder.Configuration);
        builder.Services.AddSingleton(Clock);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        _hosts.Add(host);
        return host;
    }

    /// <summary>The worker as its own process (dotnet cybex-report-worker.dll), configured through the environment.</summary>
    public System.Diagnostics.Process StartWorkerProcess(int concurrency)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "cybex-report-worker.dll"))
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in Settings()) info.Environment[key.Replace(":", "__")] = value;
        info.Environment["Worker__ConcurrentMessageLimit"] = concurrency.ToString();
        info.Environment["Worker__PrefetchCount"] = concurrency.ToString();
        var log = Environment.GetEnvironmentVariable("CYBEX_TEST_LOG") is { Length: > 0 } l ? $"{l}.worker{_processes.Count + 1}" : null;
        info.Environment["Logging__LogLevel__Default"] = log is null ? "Warning" : "Information";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        var process = System.Diagnostics.Process.Start(info)!;
        var writer = log is null ? null : TextWriter.Synchronized(new StreamWriter(log, append: true) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => writer?.WriteLine(e.Data);
        process.ErrorDataReceived += (_, e) => writer?.WriteLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    private readonly List<System.Diagnostics.Process> _processes = [];

    public IReadOnlyList<System.Diagnostics.Process> StartWorkerProcessesSoFar() => _processes.ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
        foreach (var host in _hosts)
        {
            await host.StopAsync(TimeSpan.FromSeconds(10));
            host.Dispose();
        }
        foreach (var db in new[] { Options.TahoeDatabase, Options.IdentityDatabase, Options.ReportDatabase })
        {
            await Mongo.Client.DropDatabaseAsync(db);
        }
        await Cli.BrokerQueues.DeleteAsync(Prefix);
        File.Delete(PrivateKeyFile);
    }
}
