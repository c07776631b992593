using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Cybex.Report.Testing;

/// <summary>
/// Removes the queues of a temporary endpoint prefix (replay, bench, tests) through the RabbitMQ management
/// API. Left behind, they stay bound to the message-type exchanges and collect a copy of every message
/// published afterwards.
/// </summary>
public static class BrokerQueues
{
    public static async Task DeleteAsync(string prefix, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(prefix)) return;
        using var http = Management();
        try
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync("api/queues", ct));
            foreach (var q in doc.RootElement.EnumerateArray())
            {
                var name = q.GetProperty("name").GetString() ?? "";
                var vhost = q.GetProperty("vhost").GetString() ?? "/";
                if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                await http.DeleteAsync($"api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(name)}", ct);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            // Without the management API the queues stay; they are harmless for correctness.
        }
    }

    /// <summary>The management API of the test broker (RABBITMQ_MANAGEMENT_URL), as its administrator.</summary>
    public static HttpClient Management()
    {
        var host = Environment.GetEnvironmentVariable("RABBITMQ_HOST") ?? "127.0.0.1";
        var api = new Uri(Environment.GetEnvironmentVariable("RABBITMQ_MANAGEMENT_URL") ?? $"http://{host}:15672/");
        var user = Environment.GetEnvironmentVariable("RABBITMQ_USER") ?? "guest";
        var password = Environment.GetEnvironmentVariable("RABBITMQ_PASS") ?? "guest";
        var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return http;
    }
}
