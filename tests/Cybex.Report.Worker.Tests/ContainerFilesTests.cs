using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Cybex.Report.Worker.Tests;

/// <summary>No Docker engine runs here: check what can be checked of the container files.</summary>
public partial class ContainerFilesTests
{
    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Cybex.Report.Bus.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException("repository root not found");
        }
    }

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
        Assert.All(paths.Where(p => !p.StartsWith("./secrets/", StringComparison.Ordinal)), p => Assert.True(File.Exists(Path.Combine(Root, p)), $"{p} is missing"));
        var dockerfile = Regex.Match(compose, @"dockerfile:\s*(\S+)").Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(Root, dockerfile)), $"{dockerfile} is missing");
        foreach (var service in new[] { "rabbitmq:", "mongo:", "watcher:", "report-consumer:", "reply-consumer:" }) Assert.Contains("  " + service, compose);
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
    public void Rabbitmq_definitions_declare_the_vhost_user_and_policies()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "rabbitmq/definitions.json")));
        Assert.Contains(doc.RootElement.GetProperty("vhosts").EnumerateArray(), v => v.GetProperty("name").GetString() == "cybex");
        Assert.Equal(2, doc.RootElement.GetProperty("policies").GetArrayLength());
        Assert.Contains("rabbitmq_management", File.ReadAllText(Path.Combine(Root, "rabbitmq/enabled_plugins")));
        Assert.Contains("load_definitions", File.ReadAllText(Path.Combine(Root, "rabbitmq/rabbitmq.conf")));
    }
}
