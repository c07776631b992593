using Cybex.Report.Domain.Tahoe;
using MongoDB.Bson;

namespace Cybex.Report.Domain.Answering;

/// <summary>How answering one request ended.</summary>
public enum AnswerResult
{
    /// <summary>The report was generated and stored.</summary>
    Answered,

    /// <summary>The TDQL was already finished under this claim (a redelivery after the store): its report is announced again.</summary>
    Reannounced,

    /// <summary>The TDQL no longer exists.</summary>
    Missing,

    /// <summary>The TDQL is not processing (an API redo set it back to wait): this request is stale.</summary>
    NotProcessing,

    /// <summary>The claim was lost before the report was stored (its lease expired and another took over).</summary>
    ClaimLost,

    /// <summary>The TDQL changed while its report was made (an API redo): the report is not the TDQL's, nothing is announced.</summary>
    Superseded,
}

/// <summary>The outcome of answering one TDQL, with what the reply to the API and the log need.</summary>
public sealed record AnsweredQuery(AnswerResult Result, Tdql? Tdql, BsonDocument? Report, string Status, string? PermanentError = null);
