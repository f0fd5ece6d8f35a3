namespace Iot.Gateway.Modbus
{
    /// <summary>Outcome of one Modbus transaction (after retries).</summary>
    public enum ModbusStatus
    {
        /// <summary>A valid response arrived.</summary>
        Ok = 0,
        /// <summary>Nothing, or too little, arrived in time.</summary>
        Timeout = 1,
        /// <summary>A frame arrived with a wrong CRC.</summary>
        CrcError = 2,
        /// <summary>The answer came from another slave address.</summary>
        WrongSlave = 3,
        /// <summary>The answer echoed another function code.</summary>
        WrongFunction = 4,
        /// <summary>The byte count or echoed fields do not match the request.</summary>
        BadFrame = 5,
        /// <summary>The slave answered with an exception (function | 0x80); see ModbusRtuMaster.LastExceptionCode.</summary>
        SlaveException = 6,
        /// <summary>The request itself was invalid (count out of range, buffer too small).</summary>
        InvalidRequest = 7
    }
}
