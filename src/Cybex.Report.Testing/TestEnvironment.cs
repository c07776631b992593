using Cybex.Report.Domain.Queries;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Storage;
using Cybex.Report.Storage.Tdqls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NodaTime;

namespace Cybex.Report.Testing;

/// <summary>
/// Scratch databases loaded with the small fixture, a fresh key pair, a unique queue prefix, and worker hosts
/// wired to them. Reads RABBITMQ_HOST and MONGO_URL (tests/services.sh prints them).
/// </summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    public static string MongoUrl => ScratchDatabases.ServerUrl;

    public static string RabbitHost => Environment.GetEnvironmentVariable("RABBITMQ_HOST") ?? "127.0.0.1";

    private static readonly Lazy<(string Private, string Public)> KeyPair = new(KeyPairs.Generate);

    private readonly List<IHost> _hosts = [];
    private readonly ScratchDatabases _databases = new("w");

    public TestEnvironment()
    {
        var id = _databases.Name;
        Prefix = id + "-";
        Options = _databases.Options;
        Mongo = _databases.Mongo;
        PrivateKeyFile = Path.Combine(Path.GetTempPath(), id + ".pem");
        KeyPairs.WritePrivate(PrivateKeyFile, KeyPair.Value.Private);
        TokenSecret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        TokenSecretFile = Path.Combine(Path.GetTempPath(), id + ".jwt-secret");
        File.WriteAllText(TokenSecretFile, TokenSecret + "\n");
        Fixture = FixtureFile.Load(Path.Combine(FixtureFile.SharedFixturesDirectory(), "small.json"));
        Clock = new FrozenClock(TahoeTime.FromEpochSeconds(Fixture.FrozenNow));
    }

    public string Prefix { get; }

    public MongoOptions Options { get; }

    public MongoContext Mongo { get; }

    public string PrivateKeyFile { get; }

    /// <summary>The API's JWT secret of this environment, which the workers verify bus tokens with.</summary>
    public string TokenSecret { get; }

    public string TokenSecretFile { get; }

    /// <summary>The token the API would have issued to a fixture user at login.</summary>
    public string Token(string label) => ApiTokens.Issue(TokenSecret, UserId(label));

    /// <summary>The API's half of the pair (what <c>submit --public-key</c> reads).</summary>
    public static string PublicKeyPem => KeyPair.Value.Public;

    public FixtureFile Fixture { get; }

    public IClock Clock { get; }

    public QuerySubmitter Submitter => new(new TdqlStore(Mongo), QueryCipher.FromPem(KeyPair.Value.Public), Clock);

    /// <summary>A count query made distinct by a "from" of a few epoch seconds, which leaves its result unchanged.</summary>
    public static string CountText(int from) => $$"""{"data": "\"203.0.113.45\"", "from": "\"{{from}}\"", "sub_type": "\"ipv4\""}""";

    public string UserId(string label) => Fixture.Root["users"][label]["_hash"].AsString;

    public Task LoadFixtureAsync() => ConformanceRunner.LoadAsync(Mongo, Fixture, CancellationToken.None);

    /// <summary>A worker with short leases and polls, so the tests see expiry and recovery within seconds.</summary>
    public Dictionary<string, string?> Settings(string transport = "RabbitMq")
    {
        var settings = InProcessWorker.Settings(Options, PrivateKeyFile, Prefix);
        settings.Remove("Bus:StartTimeoutSeconds");
        settings["Bus:Transport"] = transport;
        settings["Bus:Host"] = RabbitHost;
        settings["Bus:RetryIntervalsMilliseconds:0"] = "50";
        settings["Mongo:CreateIndexes"] = "false";
        settings["Queries:TokenSecretFile"] = TokenSecretFile;
        settings["Worker:LeaseSeconds"] = "4";
        settings["Worker:PollIdleMilliseconds"] = "200";
        settings["Worker:ShutdownTimeoutSeconds"] = "5";
        settings["Bus:WatchdogIntervalSeconds"] = "5";
        settings["Bus:WatchdogRestartAfterSeconds"] = "30";
        return settings;
    }

    public async Task<IHost> StartWorkerAsync(Action<Dictionary<string, string?>>? tweak = null, Action<IServiceCollection>? services = null)
    {
        var settings = Settings();
        tweak?.Invoke(settings);
        var host = await InProcessWorker.StartAsync(settings, Clock, logging =>
        {
            if (Environment.GetEnvironmentVariable("CYBEX_TEST_LOG") is { Length: > 0 } log)
            {
                logging.SetMinimumLevel(LogLevel.Debug);
                logging.AddProvider(new FileLogProvider(log));
            }
            else
            {
                logging.AddFilter(_ => false);
            }
        }, services);
        _hosts.Add(host);
        return host;
    }

    /// <summary>The worker as its own process (dotnet cybex-report-worker.dll), configured through the environment.</summary>
    public System.Diagnostics.Process StartWorkerProcess(int concurrency, Action<Dictionary<string, string?>>? tweak = null)
    {
        var settings = Settings();
        tweak?.Invoke(settings);
        settings["Worker:ConcurrentMessageLimit"] = concurrency.ToString();
        settings["Worker:PrefetchCount"] = concurrency.ToString();
        var log = Environment.GetEnvironmentVariable("CYBEX_TEST_LOG") is { Length: > 0 } l ? $"{l}.worker{_processes.Count + 1}" : null;
        var process = WorkerProcess.Start(settings, log);
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
        await _databases.DisposeAsync();
        await BrokerQueues.DeleteAsync(Prefix);
        File.Delete(PrivateKeyFile);
        File.Delete(TokenSecretFile);
    }
}
