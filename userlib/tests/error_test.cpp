// SPDX-License-Identifier: GPL-2.0
//
// The error policy of libiuc (iuc/error.hpp): each refused call gives its
// own code of the specification in iuc::category() with its errno in
// sys_error(), calls that are not the specification's give errc::system
// (or the generic code of the same meaning), value() throws the same code;
// and the typed views of signal records (iuc/signal.hpp).
#include <unistd.h>

#include <string>
#include <string_view>
#include <system_error>

#include "test_support.hpp"

namespace iuc_test {
namespace {

constexpr std::uint64_t kUnknownId = 999999;

using Errors = ContextTest;

TEST_F(Errors, SecondContextOfAProcessIsBusy)
{
	auto again = iuc::context::open();

	EXPECT_ERR(again, iuc::errc::system, EBUSY);
	EXPECT_EQ(again.sys_error(), std::errc::device_or_resource_busy);
}

TEST_F(Errors, UnknownIdentifierGetsEachCallsOwnCode)
{
	iuc::pipe_end bogus(ctx, kUnknownId);
	std::byte buf[16];

	auto w = bogus.write(bytes_of("x"));
	EXPECT_ERR(w, iuc::spec_error(IUC_E_WRITE_UNKNOWN_SC), EBADF);
	ASSERT_FALSE(w);
	EXPECT_EQ(w.fail().transferred, 0u);
	EXPECT_ERR(bogus.read(buf), iuc::spec_error(IUC_E_READ_UNKNOWN_RC), EBADF);
	EXPECT_ERR(bogus.info(), iuc::spec_error(IUC_E_INFO_UNKNOWN_ID), EBADF);
	EXPECT_ERR(bogus.send(::getpid()), iuc::spec_error(IUC_E_SEND_UNKNOWN_ID), EBADF);
	EXPECT_TRUE(bogus.valid()) << "a failed send keeps the handle";
	(void)bogus.release();
}

TEST_F(Errors, SpecCodeIsInTheIucCategoryWithItsErrnoBeside)
{
	auto w = iuc::pipe_end(ctx, kUnknownId).write(bytes_of("x"));

	ASSERT_FALSE(w);
	EXPECT_EQ(w.error().category(), iuc::category());
	EXPECT_EQ(std::string_view(w.error().category().name()), "iuc");
	EXPECT_EQ(w.error().value(), IUC_E_WRITE_UNKNOWN_SC);
	EXPECT_EQ(iuc::spec_code(w.error()), IUC_E_WRITE_UNKNOWN_SC);
	EXPECT_EQ(w.sys_error(), std::errc::bad_file_descriptor);
	EXPECT_NE(w.error().message().find("0x20"), std::string::npos) << w.error().message();
}

TEST_F(Errors, CloseOfAnUnknownIdentifierFailsAndEmptiesTheHandle)
{
	iuc::pipe_end bogus(ctx, kUnknownId);

	// the same errno as the other calls, another code
	EXPECT_ERR(bogus.close(), iuc::spec_error(IUC_E_CLOSE_UNKNOWN_ID), EBADF);
	EXPECT_FALSE(bogus.valid());
	EXPECT_OK(bogus.close());
}

TEST_F(Errors, WriteRefusesAnUnknownMode)
{
	iuc::pipe_end other(ctx, kUnknownId - 1);

	EXPECT_ERR(other.write(bytes_of("x"), static_cast<iuc::io_mode>(7)),
		   iuc::spec_error(IUC_E_WRITE_BAD_MODE), EINVAL);
	(void)other.release();
}

TEST_F(Errors, EmptyReadBufferIsRefusedBeforeTheCall)
{
	iuc::pipe_end other(ctx, kUnknownId - 1);

	auto r = other.read({});
	EXPECT_ERR(r, iuc::errc::invalid_arg, EINVAL);
	EXPECT_EQ(r.error(), std::errc::invalid_argument);
	(void)other.release();
}

TEST_F(Errors, ValueThrowsSystemErrorWithTheSameCode)
{
	try {
		(void)iuc::pipe_end(ctx, 0).info().value();
		ADD_FAILURE() << "value() of a failure did not throw";
	} catch (const std::system_error& e) {
		EXPECT_EQ(e.code(), iuc::spec_error(IUC_E_INFO_UNKNOWN_ID));
	}
}

TEST_F(Errors, OpenPipeToAProcessWithoutAContextIsNoSuchPid)
{
	// the parent of the test program has no context
	EXPECT_ERR(iuc::open_pipe(ctx, ::getppid()), iuc::spec_error(IUC_E_OPEN_NO_SUCH_PID), ESRCH);
}

TEST_F(Errors, OpenPipeToAProcessNotHandlingRecvPipeIsNoHandlerUnlessNotSkipped)
{
	test_peer other;

	ASSERT_TRUE(other.start({}, false));
	EXPECT_ERR(iuc::open_pipe(ctx, other.pid()), iuc::spec_error(IUC_E_OPEN_NO_HANDLER), ENOENT);
	EXPECT_OK(iuc::open_pipe(ctx, other.pid(), {.notify = false}));
}

TEST_F(Errors, ContextOfAnotherProcessIsNotOwned)
{
	test_peer other;
	peer_opts opts{};
	auto use_inherited = [](const iuc::context& inherited, peer_data&) -> peer_result {
		auto r = inherited.ready();
		PEER_ERR(r, iuc::errc::not_owner, EBADFD);
		PEER_CHECK(r.error() == std::error_condition(EBADFD, std::generic_category()));
		return ::testing::AssertionSuccess();
	};

	// the peer holds this process's fd too, and has a context of its own
	opts.inherit_fd = ctx.fd();
	ASSERT_TRUE(other.start(opts));
	ASSERT_TRUE(other.open_context());
	other.use_slot(PEER_INHERITED);
	EXPECT_TRUE(other.run(use_inherited));
	other.use_slot(PEER_OWN);
}

// ---- shared memory ------------------------------------------------------------------------

class ShareErrors : public ContextTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(ContextTest::SetUp());
		ASSERT_FALSE(mem.empty());
	}

	const std::size_t pg = page_size();
	anon_memory mem{2 * page_size()};
};

TEST_F(ShareErrors, UnalignedRangeIsRefused)
{
	EXPECT_ERR(iuc::share_mem(ctx, ::getpid(), mem.bytes().subspan(1, pg),
				  {.access = iuc::mem_access::read}),
		   iuc::spec_error(IUC_E_SHARE_UNALIGNED), EINVAL);
}

TEST_F(ShareErrors, MutualShareWithoutAccessIsRefused)
{
	EXPECT_ERR(iuc::share_mem(ctx, ::getpid(), mem.bytes()),
		   iuc::spec_error(IUC_E_SHARE_MUTUAL_NO_ACCESS), EINVAL);
}

TEST_F(ShareErrors, ExclusiveShareWithAccessIsRefused)
{
	EXPECT_ERR(iuc::share_mem(ctx, ::getpid(), mem.bytes(),
				  {.mode = iuc::share_mode::exclusive, .access = iuc::mem_access::read}),
		   iuc::spec_error(IUC_E_SHARE_EXCLUSIVE_ACCESS), EINVAL);
}

TEST_F(ShareErrors, EmptyRangeIsRefused)
{
	EXPECT_ERR(iuc::share_mem(ctx, ::getpid(), mem.bytes().subspan(0, 0),
				  {.access = iuc::mem_access::read}),
		   iuc::spec_error(IUC_E_SHARE_LENGTH_ZERO), EINVAL);
}

TEST_F(ShareErrors, ShareToAProcessWithoutAContextIsNoSuchPid)
{
	EXPECT_ERR(iuc::share_mem(ctx, ::getppid(), mem.bytes(), {.access = iuc::mem_access::read}),
		   iuc::spec_error(IUC_E_SHARE_NO_SUCH_PID), ESRCH);
}

TEST_F(ShareErrors, UnknownSegmentGetsEachCallsOwnCode)
{
	EXPECT_ERR(iuc::mem_sharing_info(ctx, kUnknownId),
		   iuc::spec_error(IUC_E_MEMINFO_UNKNOWN_SEGMENT), EBADF);
	// mmap(2) is no call of the specification: its errno
	EXPECT_ERR(iuc::mapping::map(ctx, kUnknownId, pg), iuc::errc::system, ENXIO);

	iuc::segment seg(ctx, kUnknownId, iuc::share_mode::mutual);
	EXPECT_ERR(seg.unshare(), iuc::spec_error(IUC_E_UNSHARE_UNKNOWN_SEGMENT), EBADF);
	EXPECT_FALSE(seg.valid());
	iuc::mapping m(ctx, kUnknownId, nullptr, 0);
	EXPECT_ERR(m.unmap(), iuc::spec_error(IUC_E_UNMAP_UNKNOWN_SEGMENT), EBADF);
	EXPECT_FALSE(m.valid());
}

TEST_F(ShareErrors, AdoptRefusesARecordThatIsNotRecvSharedMem)
{
	iuc_signal rec{};

	rec.code = IUC_SIG_RECV_PIPE;
	rec.object = 1;
	EXPECT_ERR(iuc::mapping::adopt(ctx, rec), iuc::errc::invalid_arg, EINVAL);
}

// ---- no kernel involved -------------------------------------------------------------------

TEST(SignalData, IsTheDatafieldOfTheRecordsCodeOnly)
{
	iuc_signal s{};

	s.code = IUC_SIG_PIPE_CLOSED;
	s.data.pipe_closed.id = 42;
	EXPECT_EQ(iuc::signal_data<iuc_sig_pipe_closed>(s), &s.data.pipe_closed);
	EXPECT_EQ(iuc::signal_data<iuc_sig_pipe_closed>(s)->id, 42u);
	EXPECT_EQ(iuc::signal_data<iuc_sig_recv_pipe>(s), nullptr);
	EXPECT_EQ(iuc::signal_data<iuc_sig_unshared_mem>(s), nullptr);
	s.code = IUC_SIG_RECV_SHARED_MEM;
	EXPECT_EQ(iuc::signal_data<iuc_sig_recv_shared_mem>(s), &s.data.recv_shared_mem);
	EXPECT_EQ(iuc::signal_data<iuc_sig_pipe_closed>(s), nullptr);
}

TEST(SignalName, NamesTheCodesOfTheSpecification)
{
	EXPECT_EQ(iuc::signal_name(IUC_SIG_UNSHARED_MEM), "UNSHARED_MEM");
	EXPECT_EQ(iuc::signal_name(0x99), "?");
}

TEST(ErrorCategory, ArgsUnreadableIsAnErrorThoughItsCodeIsZero)
{
	EXPECT_EQ(iuc::spec_error(IUC_E_ARGS_UNREADABLE), iuc::errc::args_unreadable);
	EXPECT_TRUE(iuc::spec_error(IUC_E_ARGS_UNREADABLE)) << "an error, not \"success\"";
	EXPECT_EQ(iuc::spec_code(iuc::spec_error(IUC_E_ARGS_UNREADABLE)), IUC_E_ARGS_UNREADABLE);
}

TEST(ErrorCategory, SpecCodeOfNoErrorAndOfNoSpecCode)
{
	EXPECT_EQ(iuc::spec_code(std::error_code()), IUC_E_NONE);
	EXPECT_EQ(iuc::spec_code(iuc::errc::system), -1);
}

TEST(ErrorCategory, NamedCodesAreTheirErrnosCondition)
{
	EXPECT_EQ(iuc::make_error_code(iuc::errc::queue_full),
		  std::errc::resource_unavailable_try_again);
}

}  // namespace
}  // namespace iuc_test
