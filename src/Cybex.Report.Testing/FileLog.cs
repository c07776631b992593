using Microsoft.Extensions.Logging;

namespace Cybex.Report.Testing;

/// <summary>
/// Appends every log line of in-process worker hosts to the file named by CYBEX_TEST_LOG, MassTransit's debug
/// lines included: how the broker fault runs were diagnosed. Off unless the variable is set.
/// </summary>
public sealed class FileLogProvider(string path) : ILoggerProvider
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
    }

    private void Append(string line)
    {
        lock (_gate) File.AppendAllText(path, line + "\n");
    }

    private sealed class FileLogger(FileLogProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Append($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
    }
}
