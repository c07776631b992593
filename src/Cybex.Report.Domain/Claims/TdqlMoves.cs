using MongoDB.Bson;

namespace Cybex.Report.Domain.Claims;

/// <summary>What one write of moves to processing did: each TDQL as its edit leaves it, and how many edits matched.</summary>
public sealed record TdqlMoves(IReadOnlyList<BsonDocument> Edited, int Moved);
