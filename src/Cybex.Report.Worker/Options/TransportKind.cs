namespace Cybex.Report.Worker.Options;

public enum TransportKind
{
    RabbitMq,
    InMemory,
}
