using Cybex.Report.Testing;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>No Docker engine runs here: check what can be checked of the container files.</summary>
public partial class ContainerFilesTests
{
    private static string Root => RepositoryRoot.Path;

    [GeneratedRegex(@"(?<=[\s:""'-])\./[\w./-]+")]
    private static partial Regex RelativePath();

    [Fact]
    public void Compose_file_references_files_that_exist()
    {
        var compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
        Assert.DoesNotContain("\t", compose);
        var paths = RelativePath().Matches(compose).Select(m => m.Value.Split(':')[0]).Distinct().ToList();
        Assert.Contains("./rabbitmq/definitions.json", paths);
        // The key is each deployment's own secret (cybex-report keygen --out secrets).
        Assert.All(paths.Where(p => !p.StartsWith("./secrets", StringComparison.Ordinal)), p => Assert.True(File.Exists(Path.Combine(Root, p)) || Directory.Exists(Path.Combine(Root, p)), $"{p} is missing"));
        var dockerfile = Regex.Match(compose, @"dockerfile:\s*(\S+)").Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(Root, dockerfile)), $"{dockerfile} is missing");
        foreach (var service in new[] { "rabbitmq:", "mongo:", "watcher:", "report-consumer:", "reply-consumer:", "prometheus:", "grafana:" }) Assert.Contains("  " + service, compose);
        Assert.Contains("./rabbitmq/users.sh", paths);
        Assert.Contains("./mongo/init-users.js", paths);
    }

    [Fact]
    public void Prometheus_and_grafana_are_provisioned_from_the_repository_and_workers_report_their_health()
    {
        var compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
        Assert.Contains("./deploy/prometheus:/etc/prometheus:ro", compose);
        Assert.Contains("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro", compose);
        Assert.Contains("./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro", compose);
        Assert.Contains("\"--health-check\"", compose);
        var prometheus = File.ReadAllText(Path.Combine(Root, "deploy/prometheus/prometheus.yml"));
        // Every worker service is scraped on the port the image exposes for /metrics.
        foreach (var service in new[] { "watcher", "report-consumer", "reply-consumer" }) Assert.Contains(service, prometheus);
        Assert.Contains("Observability__MetricsPort=9464", File.ReadAllText(Path.Combine(Root, "src/Cybex.Report.Worker/Dockerfile")));
        Assert.Contains("port: 9464", prometheus);
        // The dashboard's data source is the provisioned one, and the dashboards folder is the one compose mounts.
        var datasource = File.ReadAllText(Path.Combine(Root, "deploy/grafana/provisioning/datasources/prometheus.yml"));
        var uid = Regex.Match(datasource, @"uid:\s*(\S+)").Groups[1].Value;
        Assert.Contains("url: http://prometheus:9090", datasource);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy/grafana/dashboards/cybex-report-bus.json")));
        Assert.All(dashboard.RootElement.GetProperty("panels").EnumerateArray(), p => Assert.Equal(uid, p.GetProperty("datasource").GetProperty("uid").GetString()));
        Assert.Contains("path: /var/lib/grafana/dashboards", File.ReadAllText(Path.Combine(Root, "deploy/grafana/provisioning/dashboards/cybex.yml")));
    }

    [Fact]
    public void Dockerfile_publishes_the_worker_project_as_ci_builds_it_and_runs_as_non_root()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "src/Cybex.Report.Worker/Dockerfile"));
        var project = Regex.Match(dockerfile, @"dotnet publish (\S+\.csproj)").Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(Root, project)), $"{project} is missing");
        Assert.Contains("USER app", dockerfile);
        Assert.Contains("HEALTHCHECK", dockerfile);
        Assert.Contains("cybex-report-worker.dll", dockerfile);
    }

    [Fact]
    public void Rabbitmq_definitions_declare_the_vhost_and_policies_and_no_user()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "rabbitmq/definitions.json")));
        Assert.Contains(doc.RootElement.GetProperty("vhosts").EnumerateArray(), v => v.GetProperty("name").GetString() == "cybex");
        Assert.Equal(2, doc.RootElement.GetProperty("policies").GetArrayLength());
        // Users and their passwords come from secret files at the container's start (rabbitmq/users.sh).
        Assert.False(doc.RootElement.TryGetProperty("users", out _));
        Assert.Contains("rabbitmq_management", File.ReadAllText(Path.Combine(Root, "rabbitmq/enabled_plugins")));
        Assert.Contains("load_definitions", File.ReadAllText(Path.Combine(Root, "rabbitmq/rabbitmq.conf")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("cluster")]
    public void Compose_file_is_valid_for_docker_compose(string profile)
    {
        // Debian's docker-compose validates without an engine; tests/services.sh installs it.
        var info = new System.Diagnostics.ProcessStartInfo("docker-compose", ["-f", Path.Combine(Root, "docker-compose.yml"), .. profile.Length > 0 ? new[] { "--profile", profile } : [], "config", "-q"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Root,
        };
        using var process = System.Diagnostics.Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
    }

    [Fact]
    public void No_password_is_shipped_and_the_workers_get_least_privilege()
    {
        var compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
        // Every credential is a secret file; nothing in the environment of any service carries one.
        var settings = Regex.Replace(compose, @"(?m)^\s*#.*$", "");
        Assert.DoesNotMatch(new Regex(@"(?i)(password|pass|Bus__Password|Mongo__Url)[ \t]*:[ \t]*\S"), Regex.Replace(settings, @"_FILE:.*|target:.*|file:.*|source:.*", ""));
        Assert.DoesNotContain("guest", settings);
        Assert.Contains("--auth", compose);
        Assert.Contains("target: Bus__Password", compose);
        Assert.Contains("target: Mongo__Url", compose);
        var users = File.ReadAllText(Path.Combine(Root, "rabbitmq/users.sh"));
        // The workers' user: no tags (no management access) and permissions on the cybex vhost only.
        Assert.Contains("ensure_user cybex-worker /run/secrets/rabbitmq_worker_password\n", users);
        Assert.Single(Regex.Matches(users, @"set_permissions -p \S+ cybex-worker"));
        Assert.Contains("set_permissions -p cybex cybex-worker", users);
        Assert.Contains("delete_user guest", users);
        var mongo = File.ReadAllText(Path.Combine(Root, "mongo/init-users.js"));
        var roles = Regex.Matches(mongo, @"\{ role: '(\w+)', db: '(\w+)' \}").Select(m => $"{m.Groups[1].Value}@{m.Groups[2].Value}").ToList();
        Assert.Equal(["read@tahoe_db", "read@identity_db", "readWrite@report_db", "cybexIndexer@admin"], roles);
        Assert.DoesNotContain("readWriteAnyDatabase", mongo);
    }

    [Fact]
    public void The_secrets_script_writes_owner_only_files_and_no_fixed_password()
    {
        var dir = Directory.CreateTempSubdirectory("cybex-secrets-");
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(Root, "scripts/secrets.sh"), dir.FullName]) { RedirectStandardOutput = true };
            using (var p = System.Diagnostics.Process.Start(info)!)
            {
                p.WaitForExit();
                Assert.Equal(0, p.ExitCode);
            }
            var first = File.ReadAllText(Path.Combine(dir.FullName, "rabbitmq_worker_password"));
            Assert.True(first.Length >= 24);
            Assert.Contains(File.ReadAllText(Path.Combine(dir.FullName, "mongo_worker_password")), File.ReadAllText(Path.Combine(dir.FullName, "mongo_worker_url")));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.FullName, "mongo_root_password")));
                Assert.Equal(UnixFileMode.None, File.GetUnixFileMode(Path.Combine(dir.FullName, "rabbitmq_worker_password")) & UnixFileMode.OtherRead);
            }
            var other = Directory.CreateTempSubdirectory("cybex-secrets-");
            using (var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(Root, "scripts/secrets.sh"), other.FullName]) { RedirectStandardOutput = true })!)
            {
                p.WaitForExit();
            }
            Assert.NotEqual(first, File.ReadAllText(Path.Combine(other.FullName, "rabbitmq_worker_password")));
            other.Delete(recursive: true);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
