using Spectre.Console;

namespace Cybex.Report.Cli.Output;

/// <summary>A Spectre.Console progress bar on stderr while work runs, only when stderr is a terminal.</summary>
public sealed class Progress : IDisposable
{
    private readonly Task? _render;
    private readonly CancellationTokenSource _done = new();
    private int _value;
    private int _total;
    private bool _disposed;

    /// <param name="total">What done means; the work may correct it with <see cref="Report(int, int)"/> once it knows.</param>
    public Progress(string label, int total)
    {
        _total = total;
        if (!Terminal.ErrorIsTerminal || total <= 0) return;
        // Spectre's progress owns the loop it renders in; the work reports into it from outside.
        _render = Terminal.Error.Progress().AutoClear(false).HideCompleted(false).StartAsync(async ctx =>
        {
            var task = ctx.AddTask(Markup.Escape(label), maxValue: total);
            while (!_done.IsCancellationRequested)
            {
                task.MaxValue = Math.Max(1, Volatile.Read(ref _total));
                task.Value = Volatile.Read(ref _value);
                try
                {
                    await Task.Delay(100, _done.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            task.MaxValue = Math.Max(1, Volatile.Read(ref _total));
            task.Value = Volatile.Read(ref _value);
        });
    }

    public void Report(int done) => Volatile.Write(ref _value, done);

    public void Report(int done, int total)
    {
        Volatile.Write(ref _total, total);
        Volatile.Write(ref _value, done);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _done.Cancel();
        _render?.GetAwaiter().GetResult();
        _done.Dispose();
    }
}
