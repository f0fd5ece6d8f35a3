using Iot.Contract.Signing;

namespace Iot.Gateway.Ota
{
    /// <summary>Settings of over-the-air updates, fixed at build or boot time.</summary>
    public sealed class OtaSettings
    {
        /// <summary>Ed25519 public key of the release key (32 bytes); null: updates are off.</summary>
        public byte[] ReleaseKey;
        /// <summary>Platform name signed into every release; a device only installs releases for its own target.</summary>
        public string Target = "esp32";
        /// <summary>Seconds a new version has, per boot, to become healthy before the device returns to the previous one.</summary>
        public int TrialSeconds = 600;
        /// <summary>
        /// Seconds a new version must have run since its boot before it may confirm itself (at most half of TrialSeconds):
        /// a version that crashes or restarts sooner never confirms, even if it got a record out first.
        /// </summary>
        public int ConfirmAfterSeconds = 60;
        /// <summary>Boots on trial after which a version that never confirmed counts as a crash loop.</summary>
        public int MaxTrialBoots = 3;
        /// <summary>Bytes asked for per download request (RAM: one buffer of this size).</summary>
        public int ChunkBytes = 4096;
        /// <summary>Download requests (or staged chunks hashed) per main-loop step at most.</summary>
        public int ChunksPerStep = 4;
        /// <summary>Signature work per main-loop step (Ed25519Verifier.Step units; about 2 % of a verification each).</summary>
        public int VerifyRoundsPerStep = 8;
        /// <summary>Consecutive failed download requests after which the job fails (with backoff up to a minute between them).</summary>
        public int MaxDownloadFailures = 30;
        /// <summary>How long the device waits for its last events to reach the broker before restarting into another version.</summary>
        public int RestartGraceMs = 30000;
        /// <summary>A downloading event is sent each time the progress passes another step of this many percent.</summary>
        public int ProgressStepPercent = 10;
    }
}
