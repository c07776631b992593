namespace Cybex.Report.Testing;

/// <summary>The checkout the running tests or tools were built from: the folder above them that holds the solution.</summary>
public static class RepositoryRoot
{
    public static string? TryFind()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Cybex.Report.Bus.sln"))) return dir.FullName;
        }
        return null;
    }

    public static string Path => TryFind() ?? throw new InvalidOperationException("the repository root (Cybex.Report.Bus.sln) is not above these binaries");
}
