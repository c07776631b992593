using System.Xml.Linq;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Testing;
using Xunit;

namespace Cybex.Report.Domain.Tests;

/// <summary>The plan of the house, checked: which project may know which.</summary>
public class DependencyRuleTests
{
    private static readonly string Root = RepositoryRoot.Path;

    private static XDocument Project(string relative) => XDocument.Load(Path.Combine(Root, relative));

    private static IEnumerable<string> Includes(XDocument project, string item) =>
        project.Descendants(item).Select(e => e.Attribute("Include")!.Value);

    [Fact]
    public void The_domain_references_only_bson_noda_time_and_bouncy_castle()
    {
        var project = Project("src/Cybex.Report.Domain/Cybex.Report.Domain.csproj");

        Assert.Empty(Includes(project, "ProjectReference"));
        Assert.Equal(["BouncyCastle.Cryptography", "MongoDB.Bson", "NodaTime"], Includes(project, "PackageReference").Order());
        var referenced = typeof(Tdql).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(referenced, n => n.StartsWith("MongoDB.Driver") || n.StartsWith("MassTransit") || n.StartsWith("Cybex.Report.Storage"));
    }

    [Fact]
    public void The_contracts_reference_nothing()
    {
        var project = Project("src/Cybex.Report.Contracts/Cybex.Report.Contracts.csproj");

        Assert.Empty(Includes(project, "ProjectReference"));
        Assert.Empty(Includes(project, "PackageReference"));
    }

    [Fact]
    public void Only_the_cli_tests_reference_the_cli()
    {
        var referencing = Directory.EnumerateFiles(Path.Combine(Root, "tests"), "*.csproj", SearchOption.AllDirectories)
            .Where(f => Includes(XDocument.Load(f), "ProjectReference").Any(r => r.Replace('\\', '/').EndsWith("Cybex.Report.Cli/Cybex.Report.Cli.csproj")))
            .Select(Path.GetFileNameWithoutExtension);

        Assert.Equal(["Cybex.Report.Cli.Tests"], referencing);
    }

    [Fact]
    public void Storage_and_the_worker_never_reference_test_support_or_the_cli()
    {
        foreach (var project in new[] { "src/Cybex.Report.Storage/Cybex.Report.Storage.csproj", "src/Cybex.Report.Worker/Cybex.Report.Worker.csproj" })
        {
            Assert.DoesNotContain(Includes(Project(project), "ProjectReference"), r => r.Contains("Cybex.Report.Testing") || r.Contains("Cybex.Report.Cli"));
        }
    }
}
