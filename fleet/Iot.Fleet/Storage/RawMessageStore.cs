using System.Data.Common;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Dapper;
using Iot.Fleet.Telemetry;

namespace Iot.Fleet.Storage;

/// <summary>Options of the raw message store (section "RawMessages").</summary>
public sealed class RawMessageOptions
{
    /// <summary>Folder of the segment files; a relative path is under the database's folder.</summary>
    public string Directory { get; set; } = "raw";

    /// <summary>Minutes a raw message stays in the database's hot table before the compactor moves it into a segment.</summary>
    public int HotMinutes { get; set; } = 10;
}

/// <summary>What one compaction or trim did to the segment files.</summary>
public sealed record SegmentChange(long Messages, int Segments, long Bytes);

/// <summary>
/// The raw messages the fleet received, in two places behind one API. The ingest stores each message in the database's
/// hot table `messages` in the same transaction as its records and acknowledges it to the broker only after that commit;
/// the compactor then moves messages older than <see cref="RawMessageOptions.HotMinutes"/> into compressed segment files.
/// A segment is written beside its final name, synced, renamed and its folder synced before one transaction indexes its
/// blocks (`raw_segments`, `raw_blocks`) and deletes the moved rows: a crash in between leaves the rows where they were
/// and an orphan file that the next start deletes. A segment is a run of blocks, each Brotli over up to
/// <see cref="BlockMessages"/> entries (id, received-at, topic, proof, payload, length-prefixed), so a read inflates one
/// block. Blocks no record refers to any more are dropped by the retention trim; a segment is deleted when it has no
/// block left and rewritten (its live blocks copied as they are) when less than half of it is still needed.
/// </summary>
public sealed class RawMessageStore(FleetDatabase database, string directory)
{
    /// <summary>Entries per compressed block: what one read inflates.</summary>
    public const int BlockMessages = 256;

    /// <summary>Messages moved per segment at most, so a segment stays a few megabytes.</summary>
    public const int SegmentMessages = 100_000;

    /// <summary>Serialises the writers of segment files (compactor and trim); readers only take <see cref="_files"/>.</summary>
    private readonly Lock _maintenance = new();

    /// <summary>Readers share it; deleting a segment file takes it alone.</summary>
    private readonly ReaderWriterLockSlim _files = new();

    /// <summary>The folder of the segment files.</summary>
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>A raw message by its id (records.message_id), from the hot table or a segment; null when there is none.</summary>
    public RawMessage? Get(long id) => Get([id]).GetValueOrDefault(id);

    /// <summary>The raw messages of these ids that are stored, by id.</summary>
    public IReadOnlyDictionary<long, RawMessage> Get(IReadOnlyCollection<long> ids)
    {
        var found = new Dictionary<long, RawMessage>();
        if (ids.Count == 0) return found;
        using var connection = database.Open();
        foreach (var chunk in ids.Distinct().Chunk(500))
            foreach (var row in connection.Query<HotRow>(
                         "SELECT id, topic, payload, received_at, proof, mac, key_id, signed_length FROM messages WHERE id IN @chunk", new { chunk }))
                found[row.id] = row.ToMessage();
        var missing = ids.Where(id => !found.ContainsKey(id)).Distinct().Order().ToList();
        if (missing.Count == 0) return found;
        _files.EnterReadLock();
        try
        {
            (long First, long Last) current = (1, 0);
            Dictionary<long, RawMessage> block = [];
            foreach (var id in missing)
            {
                if (id < current.First || id > current.Last)
                {
                    var row = connection.QueryFirstOrDefault<BlockRow>(
                        """
                        SELECT b.first_id, b.last_id, s.name, b.position, b.length FROM raw_blocks b JOIN raw_segments s ON s.id = b.segment
                        WHERE b.first_id <= @id ORDER BY b.first_id DESC LIMIT 1
                        """, new { id });
                    if (row is null || row.last_id < id) continue;
                    current = (row.first_id, row.last_id);
                    block = ReadBlock(row);
                }
                if (block.TryGetValue(id, out var message)) found[id] = message;
            }
        }
        finally
        {
            _files.ExitReadLock();
        }
        return found;
    }

    /// <summary>The highest message id stored in either place (0 when none): the ingest numbers new messages after it.</summary>
    public const string HighestIdSql =
        "SELECT COALESCE(MAX(x), 0) FROM (SELECT MAX(id) AS x FROM messages UNION ALL SELECT (SELECT last_id FROM raw_blocks ORDER BY first_id DESC LIMIT 1)) AS ids";

    /// <summary>Deletes segment files no database row names (left by a crash between a segment's write and its index)
    /// and unfinished temp files. Call before the first <see cref="Compact"/> of a process.</summary>
    public int RemoveOrphans()
    {
        lock (_maintenance)
        {
            if (!System.IO.Directory.Exists(Directory)) return 0;
            using var connection = database.Open();
            var known = connection.Query<string>("SELECT name FROM raw_segments").ToHashSet(StringComparer.Ordinal);
            var removed = 0;
            foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories).ToList())
            {
                var name = Path.GetRelativePath(Directory, file).Replace('\\', '/');
                if (known.Contains(name)) continue;
                File.Delete(file);
                removed++;
            }
            return removed;
        }
    }

    /// <summary>Moves the hot messages received before <paramref name="before"/> (and every older id) into new segments.</summary>
    public SegmentChange Compact(DateTimeOffset before)
    {
        lock (_maintenance)
        {
            long messages = 0, bytes = 0;
            var segments = 0;
            using var connection = database.Open();
            while (true)
            {
                // Everything up to the newest old-enough id moves, so blocks never overlap a message left behind.
                var upTo = connection.ExecuteScalar<long?>("SELECT MAX(id) FROM messages WHERE received_at < @before",
                    new { before = before.ToUnixTimeMilliseconds() });
                if (upTo is null) break;
                var rows = connection.Query<HotRow>(
                    "SELECT id, topic, payload, received_at, proof, mac, key_id, signed_length FROM messages WHERE id <= @upTo ORDER BY id LIMIT @limit",
                    new { upTo, limit = SegmentMessages }).ToList();
                if (rows.Count == 0) break;
                var written = WriteSegment(rows, before);
                try
                {
                    using var tx = connection.BeginTransaction();
                    Index(connection, written, before, tx);
                    connection.Execute("DELETE FROM messages WHERE id >= @first AND id <= @last", new { first = rows[0].id, last = rows[^1].id }, tx);
                    tx.Commit();
                }
                catch
                {
                    // Not indexed (a full disk, say): the rows stay hot and the file goes; the next pass writes it again.
                    DeleteFile(written.Name);
                    throw;
                }
                messages += rows.Count;
                bytes += written.Bytes;
                segments++;
                if (rows.Count < SegmentMessages) break;
            }
            return new SegmentChange(messages, segments, bytes);
        }
    }

    /// <summary>
    /// Writes messages that never were hot (a history loaded from elsewhere: the benchmarks' synthetic city) straight
    /// into one new segment, indexed in the caller's transaction; their ids must be new and ascending. A rollback leaves
    /// an orphan file that <see cref="RemoveOrphans"/> deletes.
    /// </summary>
    internal void Import(IReadOnlyList<RawMessage> messages, DateTimeOffset at, DbConnection connection, DbTransaction transaction)
    {
        if (messages.Count == 0) return;
        lock (_maintenance)
        {
            var rows = messages.Select(m => new HotRow(m.Id, m.Topic, m.Payload, m.ReceivedAt.ToUnixTimeMilliseconds(),
                m.Proof?.Status, m.Proof?.Mac, m.Proof?.KeyId, m.Proof?.SignedLength)).ToList();
            Index(connection, WriteSegment(rows, at), at, transaction);
        }
    }

    private static void Index(DbConnection connection, WrittenSegment written, DateTimeOffset at, DbTransaction transaction)
    {
        var segment = connection.ExecuteScalar<long>(
            "INSERT INTO raw_segments (name, bytes, created_at) VALUES (@Name, @Bytes, @at) RETURNING id",
            new { written.Name, written.Bytes, at = at.ToUnixTimeMilliseconds() }, transaction);
        foreach (var b in written.Blocks)
            connection.Execute(
                "INSERT INTO raw_blocks (first_id, last_id, segment, position, length, messages, received_to) VALUES (@First, @Last, @segment, @Position, @Length, @Messages, @ReceivedTo)",
                new { b.First, b.Last, segment, b.Position, b.Length, b.Messages, b.ReceivedTo }, transaction);
    }

    /// <summary>
    /// Drops the blocks received before <paramref name="before"/> that no record refers to (the records were trimmed
    /// first, keeping what a lead's evidence rests on), then deletes segments left without blocks and rewrites those
    /// less than half needed. Returns the messages dropped and the segments deleted or rewritten.
    /// </summary>
    public SegmentChange Trim(DateTimeOffset before, int batch = 1000)
    {
        lock (_maintenance)
        {
            using var connection = database.Open();
            long messages = 0;
            int deleted;
            do
            {
                using var tx = connection.BeginTransaction();
                var dead = connection.Query<(long First, long Messages)>(
                    """
                    SELECT b.first_id, b.messages FROM raw_blocks b WHERE b.received_to < @before
                      AND NOT EXISTS (SELECT 1 FROM records r WHERE r.message_id >= b.first_id AND r.message_id <= b.last_id)
                    LIMIT @batch
                    """, new { before = before.ToUnixTimeMilliseconds(), batch }, tx).ToList();
                deleted = dead.Count == 0 ? 0 : connection.Execute("DELETE FROM raw_blocks WHERE first_id IN @ids", new { ids = dead.Select(d => d.First).ToList() }, tx);
                tx.Commit();
                messages += dead.Sum(d => d.Messages);
            } while (deleted == batch);

            // Segments now empty go; segments mostly dead are rewritten with their live blocks.
            var segments = connection.Query<(long Id, string Name, long Bytes, long Live)>(
                """
                SELECT s.id, s.name, s.bytes, COALESCE((SELECT SUM(b.length) FROM raw_blocks b WHERE b.segment = s.id), 0) AS live
                FROM raw_segments s
                """).Where(s => s.Live * 2 < s.Bytes).ToList();
            long freed = 0;
            foreach (var s in segments)
            {
                if (s.Live == 0)
                {
                    connection.Execute("DELETE FROM raw_segments WHERE id = @Id", new { s.Id });
                    DeleteFile(s.Name);
                    freed += s.Bytes;
                    continue;
                }
                freed += s.Bytes - Rewrite(connection, s.Id, s.Name, before);
            }
            return new SegmentChange(messages, segments.Count, freed);
        }
    }

    /// <summary>Bytes of every segment file the database names.</summary>
    public long SegmentBytes()
    {
        using var connection = database.Open();
        return connection.ExecuteScalar<long?>("SELECT SUM(bytes) FROM raw_segments") ?? 0;
    }

    /// <summary>Copies the live blocks of a segment into a new one, repoints them and deletes the old file; returns the new size.</summary>
    private long Rewrite(DbConnection connection, long id, string name, DateTimeOffset at)
    {
        var blocks = connection.Query<BlockRow>(
            "SELECT b.first_id, b.last_id, @name AS name, b.position, b.length FROM raw_blocks b WHERE b.segment = @id ORDER BY b.first_id", new { id, name }).ToList();
        var newName = NewName(blocks[0].first_id, at);
        var positions = new List<(long First, long Position)>();
        long bytes = 0;
        WriteDurably(newName, stream =>
        {
            using var source = File.OpenRead(Path.Combine(Directory, name));
            foreach (var b in blocks)
            {
                var buffer = new byte[b.length];
                source.Position = b.position;
                source.ReadExactly(buffer);
                positions.Add((b.first_id, stream.Position));
                stream.Write(buffer);
            }
            bytes = stream.Position;
        });
        try
        {
            using var tx = connection.BeginTransaction();
            var segment = connection.ExecuteScalar<long>("INSERT INTO raw_segments (name, bytes, created_at) VALUES (@newName, @bytes, @at) RETURNING id",
                new { newName, bytes, at = at.ToUnixTimeMilliseconds() }, tx);
            foreach (var (first, position) in positions)
                connection.Execute("UPDATE raw_blocks SET segment = @segment, position = @position WHERE first_id = @first", new { segment, position, first }, tx);
            connection.Execute("DELETE FROM raw_segments WHERE id = @id", new { id }, tx);
            tx.Commit();
        }
        catch
        {
            // The blocks still point at the old file, which stays; the copy goes.
            DeleteFile(newName);
            throw;
        }
        DeleteFile(name);
        return bytes;
    }

    private void DeleteFile(string name)
    {
        _files.EnterWriteLock();
        try
        {
            File.Delete(Path.Combine(Directory, name));
        }
        finally
        {
            _files.ExitWriteLock();
        }
    }

    private sealed record WrittenBlock(long First, long Last, long Position, long Length, int Messages, long ReceivedTo);

    private sealed record WrittenSegment(string Name, long Bytes, IReadOnlyList<WrittenBlock> Blocks);

    /// <summary>A segment's name: its month's folder, its first message id and a random tail, never used twice.</summary>
    private static string NewName(long firstId, DateTimeOffset at) =>
        $"{at.UtcDateTime:yyyy-MM}/{firstId:D12}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}.seg";

    private WrittenSegment WriteSegment(IReadOnlyList<HotRow> rows, DateTimeOffset at)
    {
        var name = NewName(rows[0].id, at);
        var blocks = new List<WrittenBlock>();
        long bytes = 0;
        WriteDurably(name, stream =>
        {
            foreach (var chunk in rows.Chunk(BlockMessages))
            {
                var compressed = Compress(chunk);
                blocks.Add(new WrittenBlock(chunk[0].id, chunk[^1].id, stream.Position, compressed.Length, chunk.Length, chunk.Max(r => r.received_at)));
                stream.Write(compressed);
            }
            bytes = stream.Position;
        });
        return new WrittenSegment(name, bytes, blocks);
    }

    /// <summary>Writes a new file through a temp file: data synced, renamed, the folder synced, so the name survives a power cut.</summary>
    private void WriteDurably(string name, Action<FileStream> write)
    {
        var path = Path.Combine(Directory, name);
        var folder = Path.GetDirectoryName(path)!;
        System.IO.Directory.CreateDirectory(folder);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: false);
        SyncFolder(folder);
        SyncFolder(Directory);
    }

    private static byte[] Compress(IReadOnlyList<HotRow> rows)
    {
        var plain = new MemoryStream();
        using (var writer = new BinaryWriter(plain, Encoding.UTF8, leaveOpen: true))
            foreach (var r in rows)
            {
                writer.Write(r.id);
                writer.Write(r.received_at);
                writer.Write(r.topic);
                writer.Write(r.proof ?? "");
                writer.Write(r.mac ?? "");
                writer.Write(r.key_id ?? -1);
                writer.Write(r.signed_length ?? -1);
                writer.Write7BitEncodedInt(r.payload.Length);
                writer.Write(r.payload);
            }
        var output = new byte[BrotliEncoder.GetMaxCompressedLength((int)plain.Length)];
        // Quality 5 and a 4 MiB window: as small as quality 9 on these blocks (the MAC, random, is most of what is left) at a
        // fifth of the time (./iot bench storage).
        if (!BrotliEncoder.TryCompress(plain.GetBuffer().AsSpan(0, (int)plain.Length), output, out var written, quality: 5, window: 22))
            throw new InvalidOperationException("a raw message block did not compress");
        return output[..written];
    }

    private Dictionary<long, RawMessage> ReadBlock(BlockRow row)
    {
        var compressed = new byte[row.length];
        using (var file = File.OpenRead(Path.Combine(Directory, row.name)))
        {
            file.Position = row.position;
            file.ReadExactly(compressed);
        }
        var messages = new Dictionary<long, RawMessage>();
        using var reader = new BinaryReader(new BrotliStream(new MemoryStream(compressed), CompressionMode.Decompress), Encoding.UTF8);
        for (var id = long.MinValue; id < row.last_id;)
        {
            id = reader.ReadInt64();
            var receivedAt = reader.ReadInt64();
            var topic = reader.ReadString();
            var proof = reader.ReadString();
            var mac = reader.ReadString();
            var keyId = reader.ReadInt64();
            var signedLength = reader.ReadInt64();
            var payload = reader.ReadBytes(reader.Read7BitEncodedInt());
            messages[id] = new RawMessage(id, topic, payload, DateTimeOffset.FromUnixTimeMilliseconds(receivedAt),
                proof.Length == 0 ? null : new MessageProof(proof, mac.Length == 0 ? null : mac, keyId < 0 ? null : keyId, signedLength < 0 ? null : (int)signedLength));
        }
        return messages;
    }

    private static void SyncFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Native.open(folder, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open {folder} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.fsync(fd) != 0) throw new IOException($"cannot sync {folder} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Native.close(fd);
        }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern int fsync(int fd);

        [DllImport("libc")]
        internal static extern int close(int fd);
    }

    private sealed record BlockRow(long first_id, long last_id, string name, long position, long length);

    private sealed record HotRow(long id, string topic, byte[] payload, long received_at, string? proof, string? mac, long? key_id, long? signed_length)
    {
        public RawMessage ToMessage() => new(id, topic, payload, DateTimeOffset.FromUnixTimeMilliseconds(received_at),
            proof is null ? null : new MessageProof(proof, mac, key_id, (int?)signed_length));
    }
}
