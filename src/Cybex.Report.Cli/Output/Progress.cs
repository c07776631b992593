using Cybex.Report.Domain;
using Cybex.Report.Testing;
using Cybex.Report.Domain.Tahoe;
using Cybex.Report.Domain.Python;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Cybex.Report.Cli.Output;

/// <summary>A one-line progress bar on stderr, only when stderr is a terminal.</summary>
public sealed class Progress(string label, int total)
{
    private readonly bool _show = !Console.IsErrorRedirected && total > 0;

    public void Report(int done)
    {
        if (!_show) return;
        const int width = 30;
        var filled = (int)((long)done * width / total);
        Console.Error.Write($"\r{label} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total}");
    }

    public void Done()
    {
        if (_show) Console.Error.WriteLine();
    }
}
