using System;

namespace Iot.Gateway.Uplink
{
    /// <summary>
    /// Exponential reconnect delay with full jitter, so that a fleet that lost its broker does not come back
    /// in lock-step: attempt n waits a random time in [base, min(cap, base * 2^(n+1))]. The first retry is jittered too:
    /// a broker restart drops every gateway in the same instant, and a fixed first delay would bring them all back in one.
    /// </summary>
    public sealed class ReconnectBackoff
    {
        private readonly int _baseMs;
        private readonly int _capMs;
        private uint _state;
        private int _attempt;

        /// <summary>Creates a backoff; seed should differ per device (e.g. a hash of the device id).</summary>
        public ReconnectBackoff(int baseMs, int capMs, uint seed)
        {
            if (baseMs <= 0 || capMs < baseMs) throw new ArgumentOutOfRangeException("capMs");
            _baseMs = baseMs;
            _capMs = capMs;
            _state = seed == 0 ? 0x9E3779B9 : seed;
        }

        /// <summary>Failed attempts since the last success.</summary>
        public int Attempt { get { return _attempt; } }

        /// <summary>Delay before the next attempt, in milliseconds; each call counts one more failure.</summary>
        public int NextDelayMs()
        {
            long ceiling = _baseMs * 2L;
            for (int i = 0; i < _attempt && ceiling < _capMs; i++) ceiling *= 2;
            if (ceiling > _capMs) ceiling = _capMs;
            _attempt++;
            long span = ceiling - _baseMs;
            return (int)(_baseMs + (span == 0 ? 0 : NextRandom() % (uint)(span + 1)));
        }

        /// <summary>Call after a successful connection.</summary>
        public void Reset()
        {
            _attempt = 0;
        }

        // xorshift32: tiny, allocation-free, good enough for jitter.
        private uint NextRandom()
        {
            uint x = _state;
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            _state = x;
            return x;
        }
    }
}
