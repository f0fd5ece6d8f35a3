using System;
using Iot.Contract.Signing;
using Iot.Contract;
using Iot.Gateway.Configuration;
using Iot.Gateway.Hardware;
using Iot.Gateway.Json;
using Iot.Gateway.Runtime;
using Iot.Gateway.Telemetry;

namespace Iot.Gateway.Ota
{
    /// <summary>Phase names of an update, as stored and as sent in ota events ("phase").</summary>
    public static class OtaPhase
    {
        /// <summary>Checking the release signature (before any download).</summary>
        public const string Checking = "checking";
        /// <summary>Downloading into the staging slot.</summary>
        public const string Downloading = "downloading";
        /// <summary>Hashing the staged image.</summary>
        public const string Verifying = "verifying";
        /// <summary>Event only: size, SHA-256 and signature are right.</summary>
        public const string Verified = "verified";
        /// <summary>Activated; restarting into the new version.</summary>
        public const string Installing = "installing";
        /// <summary>Running the new version, not yet confirmed.</summary>
        public const string Trial = "trial";
        /// <summary>The new version proved healthy and stays.</summary>
        public const string Confirmed = "confirmed";
        /// <summary>The new version did not prove healthy; the previous one runs again.</summary>
        public const string RolledBack = "rolled_back";
        /// <summary>The update stopped before installing (the reason says why).</summary>
        public const string Failed = "failed";
    }

    /// <summary>
    /// Signed over-the-air updates, stepped from the main loop (no threads): takes the fleet's ota command, checks
    /// the release signature, downloads the bundle in chunks into the staging slot (resuming at what is already
    /// staged), checks its size and SHA-256, activates it and asks the platform to restart. The new version runs
    /// on trial: it confirms itself once it is connected to the broker and a valid record got its PUBACK;
    /// if that does not happen within the trial time, or it keeps restarting, it returns to the previous version
    /// and says why. Every step is reported as an ota event and the command is answered on the ack topic.
    /// The job is stored on its own two-sector partition, so it survives reboots at any point.
    /// See Ota/README.md for the command, the events and the threat model.
    /// </summary>
    public sealed class OtaUpdater
    {
        /// <summary>Largest stored job document.</summary>
        public const int MaxJobBytes = 1024;

        private const int Idle = 0;
        private const int Checking = 1;
        private const int Downloading = 2;
        private const int Verifying = 3;
        private const int Trial = 4;
        private const int Restarting = 5;

        private readonly IFirmwareSlots _slots;
        private readonly IFirmwareDownload _download;
        private readonly ConfigStore _store;
        private readonly EventOutbox _events;
        private readonly IMqttLink _mqtt;
        private readonly IClock _clock;
        private readonly DeviceTopics _topics;
        private readonly string _dev;
        private readonly OtaSettings _settings;
        private readonly OtaJob _job = new OtaJob();
        private readonly OtaJob _incoming = new OtaJob();
        private readonly Ed25519Verifier _verifier = new Ed25519Verifier();
        private readonly Sha256 _sha = new Sha256();
        private readonly byte[] _digest = new byte[Sha256.HashBytes];
        private readonly byte[] _message = new byte[ReleaseManifest.MaxMessageBytes];
        private readonly byte[] _chunk;
        private readonly byte[] _document = new byte[MaxJobBytes];
        private readonly JsonWriter _documentWriter;
        private readonly JsonWriter _ackWriter = new JsonWriter(new byte[320]);
        private int _state;
        private bool _haveJob;
        private int _hashed;
        private int _reportedStep;
        private int _failures;
        private long _retryAtMs;
        private long _deadlineMs;
        private long _confirmAtMs;
        private long _restartAtMs;
        private bool _everConnected;
        private bool _awaitingReport;

        /// <summary>Binds the updater to its hardware; call Boot once, then Step from every main-loop pass.</summary>
        public OtaUpdater(IFirmwareSlots slots, IFirmwareDownload download, IFlashStore jobFlash, EventOutbox events, IMqttLink mqtt, IClock clock,
            DeviceTopics topics, string dev, OtaSettings settings)
        {
            if (slots == null || download == null || jobFlash == null || events == null || mqtt == null || clock == null || topics == null || settings == null)
            {
                throw new ArgumentNullException("slots");
            }
            if (settings.ReleaseKey == null || settings.ReleaseKey.Length != Ed25519Verifier.PublicKeyBytes) throw new ArgumentException("the release key must be 32 bytes");
            if (!ReleaseManifest.IsValidName(settings.Target, ReleaseManifest.MaxTargetLength, false)) throw new ArgumentException("target");
            _slots = slots;
            _download = download;
            _store = new ConfigStore(jobFlash);
            _events = events;
            _mqtt = mqtt;
            _clock = clock;
            _topics = topics;
            _dev = dev;
            _settings = settings;
            _chunk = new byte[settings.ChunkBytes];
            _documentWriter = new JsonWriter(_document);
        }

        /// <summary>True once the updater wants the platform to restart (into a new or the previous version); call Shutdown first.</summary>
        public bool RestartRequested { get; private set; }

        /// <summary>The job's phase (OtaPhase), or null when there has been none.</summary>
        public string Phase { get { return _haveJob ? _job.Phase : null; } }

        /// <summary>True while the running version is on trial.</summary>
        public bool OnTrial { get { return _state == Trial; } }

        /// <summary>Picks up the stored job: continues a download, starts or judges a trial, or reports an outcome not yet reported.</summary>
        public void Boot()
        {
            _haveJob = Load();
            if (_slots.InTrial)
            {
                if (!_haveJob || _job.Manifest.Version != _slots.RunningVersion)
                {
                    // Installed by other means (a service tool): still judged, under an id of its own.
                    _job.Id = "local";
                    _job.Url = "http://local/";
                    _job.Manifest.Version = _slots.RunningVersion;
                    _job.Manifest.Size = 1;
                    _job.From = _slots.PreviousVersion;
                    _job.Phase = null;
                    _job.Reason = null;
                    _job.Attempts = 1;
                    _haveJob = true;
                }
                if (_slots.TrialBoots > _settings.MaxTrialBoots)
                {
                    RollBack("crash_loop");
                    return;
                }
                if (_job.Phase != OtaPhase.Trial)
                {
                    _job.Phase = OtaPhase.Trial;
                    Save();
                }
                _state = Trial;
                _deadlineMs = _clock.MonotonicMs + 1000L * _settings.TrialSeconds;
                _confirmAtMs = _clock.MonotonicMs + 1000L * ConfirmAfterSeconds();
                QueueEvent(OtaPhase.Trial, null);
                return;
            }
            if (!_haveJob) return;

            string phase = _job.Phase;
            if (phase == OtaPhase.Installing || phase == OtaPhase.Trial)
            {
                if (_slots.RunningVersion == _job.Manifest.Version) Finish(OtaPhase.Confirmed, null);
                else if (phase == OtaPhase.Trial) Finish(OtaPhase.RolledBack, "crash_loop"); // the boot loader gave up on it
                else if (_job.Attempts >= 2) Finish(OtaPhase.Failed, "install_failed");
                else StartVerify(); // power was lost before the switch: check the staged image again and switch
            }
            else if (phase == OtaPhase.Checking) StartCheck();
            else if (phase == OtaPhase.Downloading) StartDownload();
            else if (phase == OtaPhase.Verifying) StartVerify();
            else if (!_job.Reported)
            {
                // An outcome the previous run could not deliver (it restarted first).
                QueueEvent(_job.Phase, _job.Reason);
                _awaitingReport = true;
            }
        }

        /// <summary>
        /// Handles an ota command from the cmd topic: answers it on the ack topic and starts, resumes or refuses
        /// the job. Allocates (a command is rare).
        /// </summary>
        public void HandleCommand(byte[] json, int offset, int count)
        {
            string error = _incoming.Parse(json, offset, count, _settings.Target, false);
            if (error != null)
            {
                Ack(_incoming.Id, false, null, "bad_command", error);
                return;
            }
            bool sameJob = _haveJob && _job.Id == _incoming.Id && _job.SameRelease(_incoming);
            if (_state == Trial || _state == Restarting)
            {
                if (sameJob) Ack(_job.Id, true, _job.Phase, null, null);
                else Ack(_incoming.Id, false, null, "busy", "another update is finishing");
                return;
            }
            if (sameJob && _state != Idle)
            {
                Ack(_job.Id, true, _job.Phase, null, null); // the same command again: carry on
                return;
            }

            string running = _slots.RunningVersion;
            int order = ReleaseManifest.CompareVersions(_incoming.Manifest.Version, running);
            string refusal = null;
            if (order < 0 && !_incoming.Manifest.AllowDowngrade) refusal = "downgrade_refused";
            else if (_incoming.Manifest.Size > _slots.StagingCapacity) refusal = "too_large";
            if (refusal != null)
            {
                Ack(_incoming.Id, false, OtaPhase.Failed, refusal, null);
                QueueEventFor(_incoming, OtaPhase.Failed, refusal);
                return;
            }

            bool resume = _haveJob && _job.SameRelease(_incoming)
                && (_job.Phase == OtaPhase.Checking || _job.Phase == OtaPhase.Downloading || _job.Phase == OtaPhase.Verifying
                    || (_job.Phase == OtaPhase.Failed && _job.Reason == "download_failed"));
            if (_state != Idle && !sameJob) QueueEvent(OtaPhase.Failed, "superseded");
            _download.Close();

            _job.CopyFrom(_incoming);
            _job.From = running;
            _job.Reason = null;
            _job.Attempts = 0;
            _job.Reported = false;
            _haveJob = true;
            _awaitingReport = false;
            if (_incoming.Manifest.Version == running)
            {
                // Already running this version: nothing to do but say so.
                Ack(_job.Id, true, OtaPhase.Confirmed, null, null);
                Finish(OtaPhase.Confirmed, null);
                return;
            }
            if (!resume) _slots.EraseStaging();
            Ack(_job.Id, true, OtaPhase.Checking, null, null);
            StartCheck();
        }

        /// <summary>
        /// One main-loop pass: advances the job by a bounded amount of work. connected: the broker session is up;
        /// validRecordsDelivered: records without a not-evidence quality bit acknowledged since boot.
        /// </summary>
        public void Step(bool connected, int validRecordsDelivered)
        {
            long nowMs = _clock.MonotonicMs;
            if (_awaitingReport && connected && _events.Count == 0)
            {
                _awaitingReport = false;
                _job.Reported = true;
                Save();
            }
            switch (_state)
            {
                case Checking:
                    if (!_verifier.Step(_settings.VerifyRoundsPerStep)) return;
                    if (_verifier.IsValid) StartDownload();
                    else Finish(OtaPhase.Failed, "bad_signature");
                    return;
                case Downloading:
                    DownloadStep(nowMs);
                    return;
                case Verifying:
                    VerifyStep();
                    return;
                case Trial:
                    if (connected) _everConnected = true;
                    // Healthy: connected, a valid record delivered, and still running after the confirm time (a version that
                    // crashes a few seconds after each boot may get a record out first, but must never confirm).
                    if (connected && validRecordsDelivered > 0 && nowMs >= _confirmAtMs)
                    {
                        _slots.Confirm();
                        _state = Idle;
                        Finish(OtaPhase.Confirmed, null);
                    }
                    else if (nowMs >= _deadlineMs)
                    {
                        RollBack(_everConnected ? "no_sensor_data" : "no_connection");
                    }
                    return;
                case Restarting:
                    if (!RestartRequested && (_events.Count == 0 || nowMs >= _restartAtMs)) RestartRequested = true;
                    return;
            }
        }

        private void StartCheck()
        {
            _job.Phase = OtaPhase.Checking;
            Save();
            _job.Manifest.Target = _settings.Target;
            int length = _job.Manifest.WriteSignedMessage(_message);
            _verifier.Begin(_settings.ReleaseKey, _job.Signature, _message, 0, length);
            _state = Checking;
        }

        private void StartDownload()
        {
            if (_job.Phase != OtaPhase.Downloading)
            {
                _job.Phase = OtaPhase.Downloading;
                Save();
            }
            _state = Downloading;
            _failures = 0;
            _retryAtMs = 0;
            int staged = _slots.StagedLength;
            if (staged > _job.Manifest.Size)
            {
                _slots.EraseStaging();
                staged = 0;
            }
            _reportedStep = Percent(staged) / ProgressStep();
            QueueProgress(staged);
        }

        private void DownloadStep(long nowMs)
        {
            if (nowMs < _retryAtMs) return;
            int size = _job.Manifest.Size;
            for (int i = 0; i < _settings.ChunksPerStep; i++)
            {
                int position = _slots.StagedLength;
                if (position >= size)
                {
                    _download.Close();
                    StartVerify();
                    return;
                }
                int want = size - position < _chunk.Length ? size - position : _chunk.Length;
                int n = _download.Read(_job.Url, position, _chunk, 0, want);
                if (n == DownloadResult.Waiting) return;
                if (n == DownloadResult.EndOfFile)
                {
                    _download.Close();
                    Finish(OtaPhase.Failed, "size_mismatch");
                    return;
                }
                if (n < 0)
                {
                    if (++_failures >= _settings.MaxDownloadFailures)
                    {
                        _download.Close();
                        Finish(OtaPhase.Failed, "download_failed");
                        return;
                    }
                    long backoff = 1000L << (_failures < 6 ? _failures : 6);
                    _retryAtMs = nowMs + (backoff < 60000 ? backoff : 60000);
                    return;
                }
                if (n > want) n = want;
                _slots.WriteStaging(_chunk, 0, n);
                _failures = 0;
                position += n;
                int step = Percent(position) / ProgressStep();
                if (step != _reportedStep)
                {
                    _reportedStep = step;
                    QueueProgress(position);
                }
            }
        }

        private void StartVerify()
        {
            if (_job.Phase != OtaPhase.Verifying)
            {
                _job.Phase = OtaPhase.Verifying;
                Save();
            }
            _state = Verifying;
            _hashed = 0;
            _sha.Reset();
        }

        private void VerifyStep()
        {
            int size = _job.Manifest.Size;
            if (_slots.StagedLength != size)
            {
                _slots.EraseStaging();
                Finish(OtaPhase.Failed, "size_mismatch");
                return;
            }
            for (int i = 0; i < _settings.ChunksPerStep && _hashed < size; i++)
            {
                int n = size - _hashed < _chunk.Length ? size - _hashed : _chunk.Length;
                _slots.ReadStaging(_hashed, _chunk, 0, n);
                _sha.Append(_chunk, 0, n);
                _hashed += n;
            }
            if (_hashed < size) return;
            _sha.Finish(_digest, 0);
            int diff = 0;
            for (int i = 0; i < Sha256.HashBytes; i++) diff |= _digest[i] ^ _job.Manifest.Sha256[i];
            if (diff != 0)
            {
                _slots.EraseStaging();
                Finish(OtaPhase.Failed, "hash_mismatch");
                return;
            }
            QueueEvent(OtaPhase.Verified, null);
            Install();
        }

        private void Install()
        {
            _job.Phase = OtaPhase.Installing;
            _job.From = _slots.RunningVersion;
            _job.Attempts++;
            Save();
            _slots.Activate(_job.Manifest.Version);
            QueueEvent(OtaPhase.Installing, null);
            RequestRestart();
        }

        // Gives up the version on trial: stores why, switches back, reports, and asks for the restart.
        private void RollBack(string reason)
        {
            _job.Phase = OtaPhase.RolledBack;
            _job.Reason = reason;
            _job.Reported = false;
            Save();
            _slots.Revert();
            QueueEvent(OtaPhase.RolledBack, reason);
            _awaitingReport = true;
            RequestRestart();
        }

        private void RequestRestart()
        {
            _state = Restarting;
            _restartAtMs = _clock.MonotonicMs + _settings.RestartGraceMs;
        }

        // Ends the job with a final phase (confirmed, rolled_back, failed) and reports it.
        private void Finish(string phase, string reason)
        {
            _state = Idle;
            _job.Phase = phase;
            _job.Reason = reason;
            _job.Reported = false;
            Save();
            QueueEvent(phase, reason);
            _awaitingReport = true;
        }

        private int ConfirmAfterSeconds()
        {
            int most = _settings.TrialSeconds / 2;
            int seconds = _settings.ConfirmAfterSeconds < 0 ? 0 : _settings.ConfirmAfterSeconds;
            return seconds < most ? seconds : most;
        }

        private int ProgressStep()
        {
            return _settings.ProgressStepPercent < 1 ? 1 : _settings.ProgressStepPercent;
        }

        private int Percent(int position)
        {
            return (int)(100L * position / _job.Manifest.Size);
        }

        private bool Load()
        {
            int length = _store.Load(_document);
            if (length <= 0) return false;
            return _job.Parse(_document, 0, length, _settings.Target, true) == null && _job.Phase != null;
        }

        private void Save()
        {
            _job.Write(_documentWriter);
            if (_documentWriter.Overflowed) return; // cannot happen within the id and url limits
            _store.Save(_document, _documentWriter.Length);
        }

        private void QueueProgress(int position)
        {
            JsonWriter w = BeginEvent(_job, OtaPhase.Downloading);
            w.Name("percent");
            w.Number(Percent(position));
            w.Name("bytes");
            w.Number(position);
            w.Name("size");
            w.Number(_job.Manifest.Size);
            w.Name("running");
            w.String(_slots.RunningVersion);
            TelemetryEncoder.EndEvent(w);
            _events.Commit();
        }

        private void QueueEvent(string phase, string reason)
        {
            QueueEventFor(_job, phase, reason);
        }

        private void QueueEventFor(OtaJob job, string phase, string reason)
        {
            JsonWriter w = BeginEvent(job, phase);
            if (reason != null)
            {
                w.Name("reason");
                w.String(reason);
            }
            if (phase == OtaPhase.Trial || phase == OtaPhase.RolledBack)
            {
                w.Name("trial_boots");
                w.Number(_slots.TrialBoots);
            }
            if (phase == OtaPhase.Trial)
            {
                w.Name("deadline_s");
                w.Number(_settings.TrialSeconds);
            }
            w.Name("running");
            w.String(_slots.RunningVersion);
            TelemetryEncoder.EndEvent(w);
            _events.Commit();
        }

        private JsonWriter BeginEvent(OtaJob job, string phase)
        {
            JsonWriter w = _events.Begin();
            TelemetryEncoder.BeginEvent(w, _dev, _clock.UtcSeconds, EventType.Ota);
            w.Name("id");
            w.String(job.Id);
            w.Name("phase");
            w.String(phase);
            w.Name("version");
            w.String(job.Manifest.Version);
            if (job.From != null)
            {
                w.Name("from");
                w.String(job.From);
            }
            return w;
        }

        // {"v":1,"dev":"..","cmd":"ota","id":"..","ok":true,"phase":".."} or with "ok":false,"error":"..","detail":"..".
        private void Ack(string id, bool ok, string phase, string error, string detail)
        {
            JsonWriter w = _ackWriter;
            w.Reset();
            w.BeginObject();
            w.Name("v");
            w.Number(TelemetryEncoder.Version);
            w.Name("dev");
            w.String(_dev);
            w.Name("cmd");
            w.String("ota");
            if (id != null)
            {
                w.Name("id");
                w.String(id);
            }
            w.Name("ok");
            w.Bool(ok);
            if (phase != null)
            {
                w.Name("phase");
                w.String(phase);
            }
            if (error != null)
            {
                w.Name("error");
                w.String(error);
            }
            if (detail != null)
            {
                w.Name("detail");
                w.String(detail);
            }
            w.EndObject();
            if (!w.Overflowed) _mqtt.Publish(_topics.Ack, w.Buffer, w.Length, false);
        }
    }
}
